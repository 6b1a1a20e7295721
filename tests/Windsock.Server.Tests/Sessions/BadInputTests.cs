using System.Net;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Sessions;

/// <summary>
/// Hostile and broken clients: each gets the reply code the protocol has for its mistake, or a close,
/// and after each the same server still serves a good request.
/// </summary>
public class BadInputTests
{
    private static async Task AssertStillServesAsync(TestServer server)
    {
        await using var echo = new EchoServer(IPAddress.Loopback);
        using var client = await RawClient.ConnectAsync(server.EndPoint);
        Assert.Equal(Socks5ReplyCode.Succeeded, (await client.ConnectSocks5Async(SocksEndpoint.FromEndPoint(echo.EndPoint))).Code);
        await client.SendAsync(7);
        Assert.Equal(new byte[] { 7 }, await client.ReadExactlyAsync(1));
    }

    [Theory]
    [InlineData(new byte[] { 0x47, 0x45, 0x54, 0x20, 0x2F })] // "GET /": an HTTP client on the SOCKS port
    [InlineData(new byte[] { 0x16, 0x03, 0x01 })] // a TLS ClientHello
    [InlineData(new byte[] { 0x00 })]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF })]
    public async Task Garbage_first_bytes_are_closed_without_reply(byte[] garbage)
    {
        await using var server = TestServer.Start();
        using (var client = await RawClient.ConnectAsync(server.EndPoint))
        {
            await client.SendAsync(garbage);
            Assert.Empty(await client.ReadToEndAsync());
        }

        await server.WaitForLineAsync(l => l.Contains("not SOCKS", StringComparison.Ordinal));
        await AssertStillServesAsync(server);
    }

    [Theory]
    [InlineData((Socks5Command)0x82)] // next to NEC's PING and TRACEROUTE (X'80', X'81'), which are served
    [InlineData((Socks5Command)0x99)]
    public async Task Unsupported_commands_get_reply_7(Socks5Command command)
    {
        await using var server = TestServer.Start();
        using (var client = await RawClient.ConnectAsync(server.EndPoint))
        {
            await client.GreetAsync(AuthMethod.None);
            var reply = await client.RequestAsync(command, SocksEndpoint.FromAddress(IPAddress.Loopback, 80));
            Assert.Equal(Socks5ReplyCode.CommandNotSupported, reply.Code);
            Assert.True(await client.IsClosedByServerAsync());
        }

        await AssertStillServesAsync(server);
    }

    [Fact]
    public async Task Socks4_bind_on_an_ipv6_bind_address_gets_91_since_socks4_cannot_announce_ipv6()
    {
        // An IPv4 peer alone gets an IPv4 listener (BindFamilyTests); a configured IPv6 bind.address cannot be announced.
        await using var server = TestServer.Start(o => o with { Bind = o.Bind with { Address = System.Net.IPAddress.IPv6Loopback } });
        using (var client = await RawClient.ConnectAsync(server.EndPointV6))
        {
            await client.SendAsync(4, 2, 0, 80, 127, 0, 0, 1, 0);
            Assert.Equal(new byte[] { 0, 91, 0, 0, 0, 0, 0, 0 }, await client.ReadExactlyAsync(8));
            Assert.True(await client.IsClosedByServerAsync());
        }

        await server.WaitForLineAsync(l => l.Contains("SOCKS4 cannot announce", StringComparison.Ordinal));
        await AssertStillServesAsync(server);
    }

    [Fact]
    public async Task Unknown_address_type_gets_reply_8()
    {
        await using var server = TestServer.Start();
        using (var client = await RawClient.ConnectAsync(server.EndPoint))
        {
            await client.GreetAsync(AuthMethod.None);
            await client.SendAsync(5, 1, 0, 0x02, 1, 2, 3, 4, 0, 80);
            Assert.Equal(Socks5ReplyCode.AddressTypeNotSupported, (await client.ReadSocks5ReplyAsync()).Code);
        }

        await AssertStillServesAsync(server);
    }

    [Fact]
    public async Task Zero_length_domain_gets_general_failure()
    {
        await using var server = TestServer.Start();
        using var client = await RawClient.ConnectAsync(server.EndPoint);
        await client.GreetAsync(AuthMethod.None);
        await client.SendAsync(5, 1, 0, 3, 0, 0, 80);
        Assert.Equal(Socks5ReplyCode.GeneralFailure, (await client.ReadSocks5ReplyAsync()).Code);
    }

    [Fact]
    public async Task Host_name_with_control_bytes_is_refused()
    {
        await using var server = TestServer.Start();
        using var client = await RawClient.ConnectAsync(server.EndPoint);
        await client.GreetAsync(AuthMethod.None);
        await client.SendAsync([5, 1, 0, 3, 5, (byte)'a', (byte)'\n', (byte)'b', (byte)' ', (byte)'c', 0, 80]);
        Assert.Equal(Socks5ReplyCode.GeneralFailure, (await client.ReadSocks5ReplyAsync()).Code);
    }

    [Fact]
    public async Task Greeting_without_an_acceptable_method_gets_FF()
    {
        await using var server = TestServer.Start();
        using (var client = await RawClient.ConnectAsync(server.EndPoint))
        {
            Assert.Equal((byte)AuthMethod.NoAcceptableMethods, await client.GreetAsync(AuthMethod.Gssapi, (AuthMethod)0x80));
            Assert.True(await client.IsClosedByServerAsync());
        }

        using (var client = await RawClient.ConnectAsync(server.EndPoint))
        {
            await client.SendAsync(5, 0); // NMETHODS = 0
            Assert.Equal(new byte[] { 5, 0xFF }, await client.ReadExactlyAsync(2));
        }

        await AssertStillServesAsync(server);
    }

    [Fact]
    public async Task Oversized_socks4_user_id_gets_91()
    {
        await using var server = TestServer.Start();
        using (var client = await RawClient.ConnectAsync(server.EndPoint))
        {
            var request = new byte[8 + 300];
            new byte[] { 4, 1, 0, 80, 127, 0, 0, 1 }.CopyTo(request, 0);
            request.AsSpan(8).Fill((byte)'u'); // no NUL in 300 bytes
            await client.SendAsync(request);
            var reply = await client.ReadExactlyAsync(8);
            Assert.Equal(91, reply[1]);
        }

        await AssertStillServesAsync(server);
    }

    [Fact]
    public async Task Truncated_handshake_held_open_is_closed_at_the_negotiation_timeout()
    {
        await using var server = TestServer.Start(o => o with { NegotiationTimeout = TimeSpan.FromMilliseconds(300) });
        using var stalled = await RawClient.ConnectAsync(server.EndPoint);
        await stalled.SendAsync(5, 2, 0); // promises two methods, sends one, then waits

        // A good client is served while the stalled one waits.
        await AssertStillServesAsync(server);

        Assert.True(await stalled.IsClosedByServerAsync(TimeSpan.FromSeconds(10)));
        await server.WaitForLineAsync(l => l.Contains("negotiation timeout", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Client_vanishing_mid_handshake_and_mid_relay_leaves_the_server_serving()
    {
        await using var server = TestServer.Start();
        await using var echo = new EchoServer(IPAddress.Loopback);

        using (var client = await RawClient.ConnectAsync(server.EndPoint))
        {
            await client.SendAsync(5, 1);
        }

        using (var client = await RawClient.ConnectAsync(server.EndPoint))
        {
            await client.ConnectSocks5Async(SocksEndpoint.FromEndPoint(echo.EndPoint));
            await client.SendAsync(new byte[100_000]);
            client.Socket.LingerState = new System.Net.Sockets.LingerOption(true, 0); // RST instead of FIN
        }

        await server.WaitForLineAsync(l => l.Contains("client closed during negotiation", StringComparison.Ordinal));
        await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal) && l.Contains("reply=0", StringComparison.Ordinal));
        await AssertStillServesAsync(server);
    }

    [Fact]
    public async Task Clients_outside_allowed_networks_are_closed_on_accept()
    {
        await using var server = TestServer.Start(o => o with { AllowedClients = [IPNetwork.Parse("192.0.2.0/24")] });
        using var client = await RawClient.ConnectAsync(server.EndPoint);
        await client.SendAsync(5, 1, 0);
        Assert.True(await client.IsClosedByServerAsync());
        await server.WaitForLineAsync(l => l.Contains("client address not allowed", StringComparison.Ordinal));
    }
}
