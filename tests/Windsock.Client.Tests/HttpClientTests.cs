using System.Net;
using Windsock.Client.Http;
using Windsock.Client.Tests.Support;
using Windsock.Server.Authentication;
using Xunit;

namespace Windsock.Client.Tests;

public class HttpClientTests
{
    private sealed class OneUser(string user, string password) : ICredentialVerifier
    {
        public ValueTask<CredentialVerdict> VerifyAsync(string userName, string password1, IPAddress client, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new CredentialVerdict(userName == user && password1 == password, "test"));
    }

    [Fact]
    public async Task HttpClient_fetches_through_a_chain_of_two_proxies_byte_exact()
    {
        using var cts = Bounded.Cts();
        await using var a = TestServer.Start();
        await using var b = TestServer.Start(credentials: new OneUser("bob", "b-pass"));
        var body = new byte[300_000];
        new Random(7).NextBytes(body);
        await using var web = new HttpResponder(body);

        var chain = new ProxyChain(
            new ProxyHop(a.EndPoint, SocksProtocol.Socks4a),
            new ProxyHop(b.EndPoint) { Credentials = new SocksCredentials("bob", "b-pass") });
        using var http = new HttpClient(SocksHttpHandler.Create(chain));

        var fetched = await http.GetByteArrayAsync(new Uri($"http://localhost:{web.EndPoint.Port}/file.bin"), cts.Token);

        Assert.Equal(body, fetched);
        await a.WaitForLineAsync(l => l.Contains($"127.0.0.1:{b.EndPoint.Port}", StringComparison.Ordinal));
        await b.WaitForLineAsync(l => l.Contains("localhost", StringComparison.Ordinal) && l.Contains("user=bob", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Proxy_refusal_surfaces_as_HttpRequestException_with_the_SocksException_inside()
    {
        using var cts = Bounded.Cts();
        await using var a = TestServer.Start();
        using var http = new HttpClient(SocksHttpHandler.Create(new ProxyChain(new ProxyHop(a.EndPoint))));

        var e = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri($"http://127.0.0.1:{FreePort.Closed()}/"), cts.Token));
        var socks = Assert.IsType<SocksException>(e.InnerException);
        Assert.Equal(5, socks.ReplyCode);
    }
}
