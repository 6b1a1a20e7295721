using System.Net;
using System.Net.Sockets;
using Windsock.Protocol;
using Windsock.Protocol.Socks4;
using Windsock.Protocol.Socks5;
using Windsock.Server.Configuration;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Commands;

/// <summary>
/// BIND end to end in process: the two replies, the peer check, the timeout, the listener's
/// clean-up, the port range. The "peer" is a plain socket playing the application server that
/// connects back (an FTP server's active-mode data connection); 127.0.0.2 plays a stranger.
/// </summary>
public class BindTests
{
    private static readonly IPAddress Stranger = IPAddress.Parse("127.0.0.2");

    private static async Task<RawClient> Socks5BindAsync(TestServer server, SocksEndpoint destination, bool viaIPv6 = false)
    {
        var client = await RawClient.ConnectAsync(viaIPv6 ? server.EndPointV6 : server.EndPoint);
        Assert.Equal((byte)AuthMethod.None, await client.GreetAsync(AuthMethod.None));
        return client;
    }

    private static async Task<IPEndPoint> FirstReplyAsync(RawClient client, SocksEndpoint destination)
    {
        var reply = await client.RequestAsync(Socks5Command.Bind, destination);
        Assert.Equal(Socks5ReplyCode.Succeeded, reply.Code);
        return reply.Bound.ToIPEndPoint()!;
    }

    private static async Task AssertRelaysBothWaysAsync(RawClient client, RawClient peer)
    {
        await client.SendAsync("from client"u8.ToArray());
        Assert.Equal("from client"u8.ToArray(), await peer.ReadExactlyAsync(11));
        await peer.SendAsync("from peer"u8.ToArray());
        Assert.Equal("from peer"u8.ToArray(), await client.ReadExactlyAsync(9));

        // Half-close travels too: the peer's FIN reaches the client, which can still answer.
        peer.Socket.Shutdown(SocketShutdown.Send);
        await client.SendAsync("last"u8.ToArray());
        Assert.Equal("last"u8.ToArray(), await peer.ReadExactlyAsync(4));
        Assert.Empty(await client.ReadToEndAsync());
        client.Socket.Shutdown(SocketShutdown.Send);
        Assert.Empty(await peer.ReadToEndAsync());
    }

    private static async Task AssertRefusedAsync(IPEndPoint endPoint)
    {
        var e = await Assert.ThrowsAsync<SocketException>(async () => (await RawClient.ConnectAsync(endPoint)).Dispose());
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Socks5_bind_announces_a_reachable_address_then_the_peer_and_relays(bool viaIPv6)
    {
        await using var server = TestServer.Start();
        var loopback = viaIPv6 ? IPAddress.IPv6Loopback : IPAddress.Loopback;
        using var client = await Socks5BindAsync(server, default, viaIPv6);

        var announced = await FirstReplyAsync(client, SocksEndpoint.FromAddress(loopback, 21));

        // The listener the client reached, never a wildcard; and something a peer can connect to.
        Assert.Equal(loopback, announced.Address);
        Assert.NotEqual(0, announced.Port);
        using var peer = await RawClient.ConnectAsync(announced);
        var second = await client.ReadSocks5ReplyAsync();
        Assert.Equal(Socks5ReplyCode.Succeeded, second.Code);
        Assert.Equal((IPEndPoint)peer.Socket.LocalEndPoint!, second.Bound.ToIPEndPoint());

        await AssertRelaysBothWaysAsync(client, peer);

        var request = await server.WaitForLineAsync(l => l.Contains(" request ", StringComparison.Ordinal));
        Assert.Contains("command=bind", request, StringComparison.Ordinal);
        Assert.Contains($"announced={announced}", request, StringComparison.Ordinal);
        var end = await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal));
        Assert.Contains($"peer={peer.Socket.LocalEndPoint}", end, StringComparison.Ordinal);
        Assert.Contains("bytes_up=15 bytes_down=9", end, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Socks4_bind_gets_two_replies_and_relays()
    {
        await using var server = TestServer.Start();
        using var client = await RawClient.ConnectAsync(server.EndPoint);

        var first = await client.RequestSocks4Async(Socks4Command.Bind, SocksEndpoint.FromAddress(IPAddress.Loopback, 21), "alice");

        Assert.Equal(Socks4ReplyCode.Granted, first.Code);
        Assert.Equal(IPAddress.Loopback, first.Address);
        using var peer = await RawClient.ConnectAsync(new IPEndPoint(first.Address, first.Port));
        var second = await client.ReadSocks4ReplyAsync();
        Assert.Equal(Socks4ReplyCode.Granted, second.Code);
        Assert.Equal((IPEndPoint)peer.Socket.LocalEndPoint!, new IPEndPoint(second.Address, second.Port));
        await AssertRelaysBothWaysAsync(client, peer);
    }

    [Fact]
    public async Task Socks4a_bind_with_a_name_resolves_it_for_the_peer_check()
    {
        await using var server = TestServer.Start();
        using var client = await RawClient.ConnectAsync(server.EndPoint);

        var first = await client.RequestSocks4Async(Socks4Command.Bind, SocksEndpoint.FromHost("localhost", 21));

        Assert.Equal(Socks4ReplyCode.Granted, first.Code);
        using var peer = await RawClient.ConnectAsync(new IPEndPoint(first.Address, first.Port));
        Assert.Equal(Socks4ReplyCode.Granted, (await client.ReadSocks4ReplyAsync()).Code);
        await AssertRelaysBothWaysAsync(client, peer);
    }

    [Fact]
    public async Task Strict_check_refuses_a_stranger_and_keeps_waiting_for_the_named_peer()
    {
        await using var server = TestServer.Start();
        using var client = await Socks5BindAsync(server, default);
        var announced = await FirstReplyAsync(client, SocksEndpoint.FromAddress(IPAddress.Loopback, 0));

        // Accepted by the kernel, then reset by the server (sometimes before the connect returns):
        // it never gets a byte.
        try
        {
            using var stranger = await RawClient.ConnectAsync(announced, from: Stranger);
            Assert.Empty(await stranger.ReadToEndAsync());
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
        }

        // Queued connections are accepted in order, so the stranger was judged first.

        using var peer = await RawClient.ConnectAsync(announced, from: IPAddress.Loopback);
        var second = await client.ReadSocks5ReplyAsync();
        Assert.Equal(Socks5ReplyCode.Succeeded, second.Code);
        Assert.Equal((IPEndPoint)peer.Socket.LocalEndPoint!, second.Bound.ToIPEndPoint());
        await AssertRelaysBothWaysAsync(client, peer);
    }

    [Fact]
    public async Task Loose_check_takes_any_peer()
    {
        await using var server = TestServer.Start(o => o with { Bind = o.Bind with { PeerCheck = PeerCheck.Loose } });
        using var client = await Socks5BindAsync(server, default);
        var announced = await FirstReplyAsync(client, SocksEndpoint.FromAddress(IPAddress.Loopback, 0));

        using var peer = await RawClient.ConnectAsync(announced, from: Stranger);

        var second = await client.ReadSocks5ReplyAsync();
        Assert.Equal(Socks5ReplyCode.Succeeded, second.Code);
        Assert.Equal(Stranger, second.Bound.Address);
        await AssertRelaysBothWaysAsync(client, peer);
    }

    [Fact]
    public async Task Wildcard_destination_takes_any_peer_in_strict_mode()
    {
        await using var server = TestServer.Start();
        using var client = await Socks5BindAsync(server, default);
        var announced = await FirstReplyAsync(client, SocksEndpoint.FromAddress(IPAddress.Any, 0));

        using var peer = await RawClient.ConnectAsync(announced, from: Stranger);

        Assert.Equal(Stranger, (await client.ReadSocks5ReplyAsync()).Bound.Address);
    }

    [Fact]
    public async Task No_peer_within_the_timeout_is_a_failure_reply_and_the_listener_is_gone()
    {
        await using var server = TestServer.Start(o => o with { Bind = o.Bind with { Timeout = TimeSpan.FromMilliseconds(300) } });
        using var client = await Socks5BindAsync(server, default);
        var announced = await FirstReplyAsync(client, SocksEndpoint.FromAddress(IPAddress.Loopback, 0));

        var second = await client.ReadSocks5ReplyAsync();

        Assert.Equal(Socks5ReplyCode.TtlExpired, second.Code);
        Assert.True(await client.IsClosedByServerAsync());
        await AssertRefusedAsync(announced);
        var end = await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal));
        Assert.Contains("no BIND peer within 0.3s", end, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Socks4_timeout_is_91()
    {
        await using var server = TestServer.Start(o => o with { Bind = o.Bind with { Timeout = TimeSpan.FromMilliseconds(200) } });
        using var client = await RawClient.ConnectAsync(server.EndPoint);
        Assert.Equal(Socks4ReplyCode.Granted, (await client.RequestSocks4Async(Socks4Command.Bind, SocksEndpoint.FromAddress(IPAddress.Loopback, 0))).Code);

        Assert.Equal(Socks4ReplyCode.RejectedOrFailed, (await client.ReadSocks4ReplyAsync()).Code);
    }

    [Fact]
    public async Task Client_closing_while_waiting_closes_the_listener()
    {
        await using var server = TestServer.Start();
        IPEndPoint announced;
        using (var client = await Socks5BindAsync(server, default))
        {
            announced = await FirstReplyAsync(client, SocksEndpoint.FromAddress(IPAddress.Loopback, 0));
        }

        // The end line is written after the listener is closed.
        var end = await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal));
        Assert.Contains("client closed while waiting for the BIND peer", end, StringComparison.Ordinal);
        await AssertRefusedAsync(announced);
    }

    [Fact]
    public async Task Server_shutdown_while_waiting_closes_client_and_listener()
    {
        await using var server = TestServer.Start();
        using var client = await Socks5BindAsync(server, default);
        var announced = await FirstReplyAsync(client, SocksEndpoint.FromAddress(IPAddress.Loopback, 0));

        await server.Server.StopAsync(TimeSpan.Zero).WaitAsync(TimeSpan.FromSeconds(15));

        Assert.True(await client.IsClosedByServerAsync());
        var end = await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal));
        Assert.Contains("reason=\"server shutdown\"", end, StringComparison.Ordinal);
        await AssertRefusedAsync(announced);
    }

    [Fact]
    public async Task Bytes_sent_before_the_peer_arrives_reach_it_first()
    {
        await using var server = TestServer.Start();
        using var client = await Socks5BindAsync(server, default);
        var announced = await FirstReplyAsync(client, SocksEndpoint.FromAddress(IPAddress.Loopback, 0));
        await client.SendAsync("early "u8.ToArray());

        using var peer = await RawClient.ConnectAsync(announced);
        Assert.Equal(Socks5ReplyCode.Succeeded, (await client.ReadSocks5ReplyAsync()).Code);
        await client.SendAsync("late"u8.ToArray());

        Assert.Equal("early late"u8.ToArray(), await peer.ReadExactlyAsync(10));
    }

    [Fact]
    public async Task Port_range_is_honoured_and_a_full_range_is_a_failure_reply()
    {
        ushort port = FreePort.Closed();
        await using var server = TestServer.Start(o => o with { Bind = o.Bind with { PortRange = new PortRange(port, port) } });
        using var first = await Socks5BindAsync(server, default);
        var announced = await FirstReplyAsync(first, SocksEndpoint.FromAddress(IPAddress.Loopback, 0));
        Assert.Equal(port, announced.Port);

        // The only port is taken by the first BIND: the second is refused, and says why in the log.
        using var second = await Socks5BindAsync(server, default);
        var reply = await second.RequestAsync(Socks5Command.Bind, SocksEndpoint.FromAddress(IPAddress.Loopback, 0));
        Assert.Equal(Socks5ReplyCode.GeneralFailure, reply.Code);
        await server.WaitForLineAsync(l => l.Contains($"no free port in bind.port_range {port}", StringComparison.Ordinal));

        // The first BIND still works.
        using var peer = await RawClient.ConnectAsync(announced);
        Assert.Equal(Socks5ReplyCode.Succeeded, (await first.ReadSocks5ReplyAsync()).Code);
    }

    [Fact]
    public async Task Configured_address_is_where_it_listens_and_what_it_announces()
    {
        await using var server = TestServer.Start(o => o with { Bind = o.Bind with { Address = Stranger } });
        using var client = await Socks5BindAsync(server, default);

        var announced = await FirstReplyAsync(client, SocksEndpoint.FromAddress(IPAddress.Any, 0));

        Assert.Equal(Stranger, announced.Address);
        using var peer = await RawClient.ConnectAsync(announced);
        Assert.Equal(Socks5ReplyCode.Succeeded, (await client.ReadSocks5ReplyAsync()).Code);
    }

    [Fact]
    public async Task Wildcard_configured_address_announces_the_listener_the_client_reached()
    {
        await using var server = TestServer.Start(o => o with { Bind = o.Bind with { Address = IPAddress.Any } });
        using var client = await Socks5BindAsync(server, default);

        var announced = await FirstReplyAsync(client, SocksEndpoint.FromAddress(IPAddress.Any, 0));

        Assert.Equal(IPAddress.Loopback, announced.Address);
        using var peer = await RawClient.ConnectAsync(announced);
        Assert.Equal(Socks5ReplyCode.Succeeded, (await client.ReadSocks5ReplyAsync()).Code);
    }

    [Fact]
    public async Task Unresolvable_name_in_strict_mode_is_host_unreachable()
    {
        await using var server = TestServer.Start();
        using var client = await Socks5BindAsync(server, default);

        var reply = await client.RequestAsync(Socks5Command.Bind, SocksEndpoint.FromHost("no-such-host.invalid", 21));

        Assert.Equal(Socks5ReplyCode.HostUnreachable, reply.Code);
        Assert.True(await client.IsClosedByServerAsync());
    }
}
