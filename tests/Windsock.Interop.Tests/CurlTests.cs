using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>curl through `windsock serve` (embedded default: no authentication) fetches the 8 MiB body intact.</summary>
[Trait("Needs", "windsock-serve")]
public sealed class CurlTests(LoopbackTargets targets, OpenServerFixture fixture) : IClassFixture<OpenServerFixture>
{
    private LoopbackHttpServer Http => targets.Http;
    private WindsockProcess Server => fixture.Server;

    [Fact]
    public async Task Socks4_to_ipv4_literal() =>
        Expect.Body(await Clients.CurlAsync(Http.Url("127.0.0.1"), "--socks4", Clients.HostPort(Server.IPv4)), Http, Server);

    [Fact]
    public async Task Socks4a_sends_the_name() =>
        Expect.Body(await Clients.CurlAsync(Http.Url("localhost"), "--socks4a", Clients.HostPort(Server.IPv4)), Http, Server);

    [Fact]
    public async Task Socks5_to_ipv4_literal() =>
        Expect.Body(await Clients.CurlAsync(Http.Url("127.0.0.1"), "--socks5", Clients.HostPort(Server.IPv4)), Http, Server);

    [Fact]
    public async Task Socks5_hostname_flag() =>
        Expect.Body(await Clients.CurlAsync(Http.Url("localhost"), "--socks5-hostname", Clients.HostPort(Server.IPv4)), Http, Server);

    [Fact]
    public async Task Socks5h_proxy_url() =>
        Expect.Body(await Clients.CurlAsync(Http.Url("localhost"), "-x", $"socks5h://{Clients.HostPort(Server.IPv4)}"), Http, Server);

    [Fact]
    public async Task Socks5_to_ipv6_literal() =>
        Expect.Body(await Clients.CurlAsync(Http.Url("[::1]"), "-x", $"socks5://{Clients.HostPort(Server.IPv4)}"), Http, Server);

    [Fact]
    public async Task Socks5_over_ipv6_listener() =>
        Expect.Body(await Clients.CurlAsync(Http.Url("[::1]"), "-x", $"socks5://{Clients.HostPort(Server.IPv6)}"), Http, Server);

    [Fact]
    public async Task Socks5h_over_ipv6_listener() =>
        Expect.Body(await Clients.CurlAsync(Http.Url("localhost"), "-x", $"socks5h://{Clients.HostPort(Server.IPv6)}"), Http, Server);

    [Fact]
    public async Task Socks4_over_ipv6_listener() =>
        Expect.Body(await Clients.CurlAsync(Http.Url("127.0.0.1"), "-x", $"socks4://{Clients.HostPort(Server.IPv6)}"), Http, Server);

    [Fact]
    public async Task Parallel_downloads_each_arrive_intact()
    {
        const int Downloads = 6;
        var results = await Task.WhenAll(Enumerable.Range(0, Downloads).Select(i =>
            Clients.CurlAsync(Http.Url(i % 2 == 0 ? "127.0.0.1" : "localhost"), "-x", $"socks5h://{Clients.HostPort(Server.IPv4)}")));
        foreach (var result in results)
        {
            Expect.Body(result, Http, Server);
        }
    }

    [Fact]
    public async Task Closed_destination_port_fails_cleanly()
    {
        // Take a port and let it go: nothing listens there now.
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }
        var result = await Clients.CurlAsync($"http://127.0.0.1:{port}/", "--socks5", Clients.HostPort(Server.IPv4));
        Expect.Refused(result, Server);
        Assert.True(result.ExitCode == 97 || result.StderrMentions("SOCKS"), $"expected a SOCKS failure from curl\n{result.Describe()}");
        Assert.False(Server.HasExited, Server.Transcript());
    }
}

/// <summary>curl against `windsock serve --users FILE` (RFC 1929 required, SOCKS4 refused).</summary>
[Trait("Needs", "windsock-serve")]
[Trait("Needs", "windsock-passwd")]
public sealed class CurlAuthTests(LoopbackTargets targets, AuthServerFixture fixture) : IClassFixture<AuthServerFixture>
{
    private LoopbackHttpServer Http => targets.Http;
    private WindsockProcess Server => fixture.Server;
    private string Proxy => Clients.HostPort(Server.IPv4);

    [Fact]
    public async Task Good_password_fetches_the_body() =>
        Expect.Body(await Clients.CurlAsync(Http.Url("127.0.0.1"), "--socks5", Proxy,
            "--proxy-user", $"{AuthServerFixture.User}:{AuthServerFixture.Password}"), Http, Server);

    [Fact]
    public async Task Good_password_with_remote_name() =>
        Expect.Body(await Clients.CurlAsync(Http.Url("localhost"), "-x", $"socks5h://{Proxy}",
            "--proxy-user", $"{AuthServerFixture.User}:{AuthServerFixture.Password}"), Http, Server);

    [Fact]
    public async Task Wrong_password_is_rejected_and_logged_without_the_password()
    {
        var result = await Clients.CurlAsync(Http.Url("127.0.0.1"), "--socks5", Proxy,
            "--proxy-user", $"{AuthServerFixture.User}:{AuthServerFixture.WrongPassword}");

        Expect.Refused(result, Server);
        Assert.Empty(result.Stdout);
        // curl 7.73+: CURLE_PROXY (97), "User was rejected by the SOCKS5 server".
        Assert.True(result.ExitCode == 97 && result.StderrMentions("rejected"), $"expected curl's SOCKS5 rejection\n{result.Describe()}");

        await Server.WaitForLineAsync(
            line => line.Contains(AuthServerFixture.User, StringComparison.Ordinal) && LogWords.IsFailure(line),
            "a log line naming the user and the failed login");
        Assert.DoesNotContain(Server.StdoutLines, line => line.Contains(AuthServerFixture.WrongPassword, StringComparison.Ordinal));
        Assert.DoesNotContain(Server.StdoutLines, line => line.Contains(AuthServerFixture.Password, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unknown_user_is_rejected() =>
        Expect.Refused(await Clients.CurlAsync(Http.Url("127.0.0.1"), "--socks5", Proxy,
            "--proxy-user", $"mallory:{AuthServerFixture.Password}"), Server);

    [Fact]
    public async Task No_credentials_is_rejected() =>
        Expect.Refused(await Clients.CurlAsync(Http.Url("127.0.0.1"), "--socks5", Proxy), Server);

    [Fact]
    public async Task Socks4_is_refused() =>
        Expect.Refused(await Clients.CurlAsync(Http.Url("127.0.0.1"), "--socks4", Proxy), Server);

    [Fact]
    public async Task Socks4a_is_refused() =>
        Expect.Refused(await Clients.CurlAsync(Http.Url("localhost"), "--socks4a", Proxy), Server);
}
