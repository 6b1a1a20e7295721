using System.Net;
using System.Security.Cryptography;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>.NET's own SOCKS client (SocketsHttpHandler + WebProxy) through `windsock serve`.</summary>
[Trait("Needs", "windsock-serve")]
public sealed class HttpClientTests(LoopbackTargets targets, OpenServerFixture fixture) : IClassFixture<OpenServerFixture>
{
    private LoopbackHttpServer Http => targets.Http;
    private WindsockProcess Server => fixture.Server;

    [Theory]
    [InlineData("socks4", "127.0.0.1")]
    [InlineData("socks4a", "localhost")]
    [InlineData("socks5", "127.0.0.1")]
    [InlineData("socks5", "localhost")]
    [InlineData("socks5", "[::1]")]
    public async Task Fetches_the_body(string scheme, string target) =>
        await HttpClientProbe.AssertFetchAsync(new WebProxy($"{scheme}://{Clients.HostPort(Server.IPv4)}"), Http.Url(target), Http, Server);

    [Fact]
    public async Task Socks5_over_ipv6_listener() =>
        await HttpClientProbe.AssertFetchAsync(new WebProxy($"socks5://{Clients.HostPort(Server.IPv6)}"), Http.Url("localhost"), Http, Server);
}

[Trait("Needs", "windsock-serve")]
[Trait("Needs", "windsock-passwd")]
public sealed class HttpClientAuthTests(LoopbackTargets targets, AuthServerFixture fixture) : IClassFixture<AuthServerFixture>
{
    private LoopbackHttpServer Http => targets.Http;
    private WindsockProcess Server => fixture.Server;

    [Fact]
    public async Task Socks5_with_network_credential() =>
        await HttpClientProbe.AssertFetchAsync(
            new WebProxy($"socks5://{Clients.HostPort(Server.IPv4)}")
            {
                Credentials = new NetworkCredential(AuthServerFixture.User, AuthServerFixture.Password),
            },
            Http.Url("127.0.0.1"), Http, Server);

    [Fact]
    public async Task Socks5_with_wrong_credential_throws()
    {
        var proxy = new WebProxy($"socks5://{Clients.HostPort(Server.IPv4)}")
        {
            Credentials = new NetworkCredential(AuthServerFixture.User, AuthServerFixture.WrongPassword),
        };
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => HttpClientProbe.FetchAsync(proxy, Http.Url("127.0.0.1")));
        Assert.True(error.HttpRequestError == HttpRequestError.ProxyTunnelError, $"{error}\n{Server.Transcript()}");
    }
}

public static class HttpClientProbe
{
    public static async Task<byte[]> FetchAsync(IWebProxy proxy, string url)
    {
        using var handler = new SocketsHttpHandler { Proxy = proxy, UseProxy = true, ConnectTimeout = TimeSpan.FromSeconds(30) };
        using var client = new HttpClient(handler) { Timeout = Timeouts.Client };
        return await client.GetByteArrayAsync(new Uri(url), TestContext.Current.CancellationToken);
    }

    public static async Task AssertFetchAsync(IWebProxy proxy, string url, LoopbackHttpServer http, WindsockProcess server)
    {
        byte[] body;
        try
        {
            body = await FetchAsync(proxy, url);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            Assert.Fail($"GET {url} through {proxy.GetProxy(new Uri(url))} failed: {e}\n{server.Transcript()}");
            return;
        }
        Assert.True(Convert.ToHexStringLower(SHA256.HashData(body)) == http.BodySha256 && body.Length == http.Body.Length,
            $"body differs ({body.Length} bytes)\n{server.Transcript()}");
    }
}
