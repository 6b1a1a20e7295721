using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>PySocks (python3-socks) socksocket: SOCKS4/4a/5, local and remote DNS.</summary>
[Trait("Needs", "windsock-serve")]
public sealed class PySocksTests(LoopbackTargets targets, OpenServerFixture fixture) : IClassFixture<OpenServerFixture>
{
    private LoopbackHttpServer Http => targets.Http;
    private WindsockProcess Server => fixture.Server;

    [Theory]
    [InlineData(4, "127.0.0.1", false)] // SOCKS4, address resolved by the client
    [InlineData(4, "localhost", true)]  // SOCKS4a, the name travels to the server
    [InlineData(5, "127.0.0.1", false)]
    [InlineData(5, "localhost", true)]  // ATYP domain name
    [InlineData(5, "::1", false)]       // ATYP IPv6
    public async Task Fetches_the_body(int version, string target, bool rdns) =>
        Expect.PySocksBody(await Clients.PySocksGetAsync(version, Server.IPv4, target, Http.Port, rdns), Http, Server);

    [Fact]
    public async Task Socks5_over_ipv6_listener() =>
        Expect.PySocksBody(await Clients.PySocksGetAsync(5, Server.IPv6, "localhost", Http.Port, rdns: true), Http, Server);
}

[Trait("Needs", "windsock-serve")]
[Trait("Needs", "windsock-passwd")]
public sealed class PySocksAuthTests(LoopbackTargets targets, AuthServerFixture fixture) : IClassFixture<AuthServerFixture>
{
    private LoopbackHttpServer Http => targets.Http;
    private WindsockProcess Server => fixture.Server;

    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("localhost", true)]
    public async Task Socks5_with_good_credentials(string target, bool rdns) =>
        Expect.PySocksBody(await Clients.PySocksGetAsync(5, Server.IPv4, target, Http.Port, rdns,
            AuthServerFixture.User, AuthServerFixture.Password), Http, Server);

    [Fact]
    public async Task Socks5_with_wrong_password_fails()
    {
        var result = await Clients.PySocksGetAsync(5, Server.IPv4, "127.0.0.1", Http.Port, rdns: false,
            AuthServerFixture.User, AuthServerFixture.WrongPassword);
        Expect.Refused(result, Server);
        Assert.True(result.StderrMentions("SOCKS5AuthError") || result.StderrMentions("authentication"),
            $"expected PySocks' authentication error\n{result.Describe()}");
    }

    [Fact]
    public async Task Socks5_without_credentials_fails() =>
        Expect.Refused(await Clients.PySocksGetAsync(5, Server.IPv4, "127.0.0.1", Http.Port, rdns: false), Server);

    [Fact]
    public async Task Socks4_is_refused() =>
        Expect.Refused(await Clients.PySocksGetAsync(4, Server.IPv4, "127.0.0.1", Http.Port, rdns: false,
            AuthServerFixture.User), Server);
}
