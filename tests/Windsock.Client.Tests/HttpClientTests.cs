using System.Net;
using Microsoft.Extensions.DependencyInjection;
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
        using var http = new HttpClient(new SocksHttpHandler(chain));

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
        using var http = new HttpClient(new SocksHttpHandler(new ProxyChain(new ProxyHop(a.EndPoint))));

        var e = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri($"http://127.0.0.1:{FreePort.Closed()}/"), cts.Token));
        Assert.Equal(HttpRequestError.ProxyTunnelError, e.HttpRequestError);
        var socks = Assert.IsType<SocksException>(e.InnerException);
        Assert.Equal(5, socks.ReplyCode);
    }

    [Fact]
    public async Task An_unreachable_proxy_is_a_proxy_tunnel_error_too_and_a_direct_failure_stays_a_connection_error()
    {
        using var cts = Bounded.Cts();
        int closed = FreePort.Closed();
        using var viaProxy = new HttpClient(new SocksHttpHandler(new Uri($"socks5h://127.0.0.1:{closed}")));
        var e = await Assert.ThrowsAsync<HttpRequestException>(() => viaProxy.GetAsync(new Uri("http://example.org/"), cts.Token));
        Assert.Equal(HttpRequestError.ProxyTunnelError, e.HttpRequestError);
        Assert.Equal(SocksErrorKind.ProxyUnreachable, Assert.IsType<SocksException>(e.InnerException).Kind);

        using var direct = new HttpClient(new SocksHttpHandler(Windsock.Client.Routing.Router.Direct()));
        var d = await Assert.ThrowsAsync<HttpRequestException>(() => direct.GetAsync(new Uri($"http://127.0.0.1:{closed}/"), cts.Token));
        Assert.Equal(HttpRequestError.ConnectionError, d.HttpRequestError);
    }

    [Fact]
    public async Task A_router_based_handler_follows_the_routing_file()
    {
        using var cts = Bounded.Cts();
        await using var proxy = TestServer.Start();
        var body = new byte[10_000];
        new Random(3).NextBytes(body);
        await using var web = new HttpResponder(body);
        var router = Windsock.Client.Routing.Router.Parse($$"""
            [[rule]]
            action = "deny"
            to = ["blocked.example"]

            [[rule]]
            action = "via"
            proxies = ["socks5h://127.0.0.1:{{proxy.EndPoint.Port}}"]
            """, "client.toml");
        using var http = new HttpClient(new SocksHttpHandler(router));

        Assert.Equal(body, await http.GetByteArrayAsync(new Uri($"http://localhost:{web.EndPoint.Port}/"), cts.Token));
        await proxy.WaitForLineAsync(l => l.Contains("localhost", StringComparison.Ordinal));
        var e = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri("http://blocked.example/"), cts.Token));
        Assert.IsType<Windsock.Client.Routing.RouteDeniedException>(e.InnerException);
    }

    [Fact]
    public async Task IHttpClientFactory_clients_connect_through_the_proxy_and_report_tunnel_errors()
    {
        using var cts = Bounded.Cts();
        await using var proxy = TestServer.Start();
        var body = new byte[50_000];
        new Random(5).NextBytes(body);
        await using var web = new HttpResponder(body);
        var services = new ServiceCollection();
        services.AddHttpClient("socks").AddSocksProxy(new Uri($"socks5h://127.0.0.1:{proxy.EndPoint.Port}"));
        await using var provider = services.BuildServiceProvider();
        var http = provider.GetRequiredService<IHttpClientFactory>().CreateClient("socks");

        Assert.Equal(body, await http.GetByteArrayAsync(new Uri($"http://localhost:{web.EndPoint.Port}/"), cts.Token));
        await proxy.WaitForLineAsync(l => l.Contains("localhost", StringComparison.Ordinal));

        var e = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri($"http://127.0.0.1:{FreePort.Closed()}/"), cts.Token));
        Assert.Equal(HttpRequestError.ProxyTunnelError, e.HttpRequestError);
        Assert.Equal(5, Assert.IsType<SocksException>(e.InnerException).ReplyCode);
    }
}
