using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// ncat pipes stdin through the proxy to the echo server and prints what comes back. ncat
/// half-closes on stdin EOF and waits for the echo's FIN, so these also prove half-close relay.
/// </summary>
[Trait("Needs", "windsock-serve")]
public sealed class NcatTests(LoopbackTargets targets, OpenServerFixture fixture) : IClassFixture<OpenServerFixture>
{
    private const int PayloadLength = 1024 * 1024;
    private WindsockProcess Server => fixture.Server;
    private int EchoPort => targets.Echo.Port;

    [Fact]
    public async Task Socks5_echo_round_trip()
    {
        var payload = Clients.Payload(PayloadLength, seed: 5);
        Expect.Echoed(await Clients.NcatAsync(Server.IPv4, "socks5", "127.0.0.1", EchoPort, payload), payload, Server);
    }

    [Fact]
    public async Task Socks4_echo_round_trip()
    {
        var payload = Clients.Payload(PayloadLength, seed: 4);
        Expect.Echoed(await Clients.NcatAsync(Server.IPv4, "socks4", "127.0.0.1", EchoPort, payload), payload, Server);
    }

    [Fact]
    public async Task Socks5_remote_dns_echo_round_trip()
    {
        var payload = Clients.Payload(PayloadLength, seed: 55);
        Expect.Echoed(await Clients.NcatAsync(Server.IPv4, "socks5", "localhost", EchoPort, payload, "--proxy-dns", "remote"),
            payload, Server);
    }

    [Fact]
    public async Task Socks5_over_ipv6_to_ipv6_echo()
    {
        var payload = Clients.Payload(PayloadLength, seed: 6);
        Expect.Echoed(await Clients.NcatAsync(Server.IPv6, "socks5", "::1", EchoPort, payload), payload, Server);
    }
}

[Trait("Needs", "windsock-serve")]
[Trait("Needs", "windsock-passwd")]
public sealed class NcatAuthTests(LoopbackTargets targets, AuthServerFixture fixture) : IClassFixture<AuthServerFixture>
{
    [Fact]
    public async Task Socks5_with_credentials_echo_round_trip()
    {
        var payload = Clients.Payload(256 * 1024, seed: 1929);
        var result = await Clients.NcatAsync(fixture.Server.IPv4, "socks5", "127.0.0.1", targets.Echo.Port, payload,
            "--proxy-auth", $"{AuthServerFixture.User}:{AuthServerFixture.Password}");
        Expect.Echoed(result, payload, fixture.Server);
    }
}
