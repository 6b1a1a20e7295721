using System.Net;
using System.Net.Sockets;
using System.Text;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Server.Configuration;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Commands;

/// <summary>
/// The UDP relay answers from exactly the address it announced. A server listening on 127.0.0.2 for a client
/// on 127.0.0.1 used to send the replies from 127.0.0.1 (the wildcard socket let the kernel pick the source),
/// and clients that check the sender (RFC 1928 clients, Dante's, dig through a SOCKS library) dropped them.
/// </summary>
public sealed class UdpRelayAddressTests
{
    [Fact]
    public async Task Replies_leave_from_the_announced_address_on_a_host_with_several()
    {
        var serverAddress = IPAddress.Parse("127.0.0.2");
        var relayed = await RelayOneDatagramAsync(o => o with { Listen = [new IPEndPoint(serverAddress, 0)] }, serverAddress, "ping");

        Assert.Equal(relayed.Announced, relayed.From);
    }

    [Fact]
    public async Task An_advertised_address_of_this_host_is_where_the_relay_listens_and_answers_from()
    {
        // A node behind a balancer: the TCP connection reaches 127.0.0.1, the reply announces the node's own
        // address (here 127.0.0.3, which loopback has), and datagrams to it must be relayed.
        var advertised = IPAddress.Parse("127.0.0.3");
        var relayed = await RelayOneDatagramAsync(o => o with { Udp = o.Udp with { AdvertisedAddress = advertised } }, advertised, "to the node");

        Assert.Equal(relayed.Announced, relayed.From);
    }

    [Fact]
    public async Task An_advertised_address_this_host_lacks_leaves_the_relay_on_every_address()
    {
        // A NAT's public address in front of the host (TEST-NET-1: nothing is ever sent to it). The relay
        // cannot bind it, so it takes every address and datagrams forwarded to a local one still arrive.
        var advertised = IPAddress.Parse("192.0.2.10");
        await RelayOneDatagramAsync(
            o => o with { Udp = o.Udp with { AdvertisedAddress = advertised } }, advertised, "through the nat",
            sendTo: announced => new IPEndPoint(IPAddress.Loopback, announced.Port));
    }

    [Fact]
    public async Task Datagrams_to_destinations_leave_from_the_outside_address_and_replies_still_reach_the_client()
    {
        // [outside] ipv4 on a loopback alias: the destination sees 127.0.0.2 (Dante's external:), while the
        // client keeps talking to the announced 127.0.0.1 and gets the answers from there.
        var outside = IPAddress.Parse("127.0.0.2");
        var relayed = await RelayOneDatagramAsync(o => o with { Outside = new OutsideAddresses { IPv4 = outside } }, IPAddress.Loopback, "from outside");

        Assert.Equal(relayed.Announced, relayed.From);
        Assert.Equal(outside, relayed.EchoSaw.Address);
    }

    /// <summary>
    /// A server configured by <paramref name="configure"/>, a UDP association from a client on 127.0.0.1 that must
    /// announce <paramref name="expectedAddress"/>, and one datagram through it to a loopback echo (sent to the
    /// announced address, or where <paramref name="sendTo"/> says) that must come back with its payload.
    /// </summary>
    private static async Task<Relayed> RelayOneDatagramAsync(
        Func<ServerOptions, ServerOptions> configure, IPAddress expectedAddress, string payload, Func<IPEndPoint, IPEndPoint>? sendTo = null)
    {
        await using var server = TestServer.Start(configure);
        await using var echo = new UdpEcho(IPAddress.Loopback);
        using var control = await RawClient.ConnectAsync(server.EndPoint, IPAddress.Loopback);
        var announced = await AssociateAsync(control);
        Assert.Equal(expectedAddress, announced.Address);

        var received = await RoundTripAsync(sendTo?.Invoke(announced) ?? announced, echo.EndPoint(IPAddress.Loopback), payload);

        Assert.EndsWith(payload, received.Text, StringComparison.Ordinal);
        Assert.True(echo.Senders.TryPeek(out var sender));
        return new Relayed(announced, received.From, sender);
    }

    /// <summary>What the association announced, where its answer came from, and the sender the destination saw.</summary>
    private readonly record struct Relayed(IPEndPoint Announced, IPEndPoint From, IPEndPoint EchoSaw);

    private static async Task<IPEndPoint> AssociateAsync(RawClient control)
    {
        Assert.Equal((byte)AuthMethod.None, await control.GreetAsync(AuthMethod.None));
        var reply = await control.RequestAsync(Socks5Command.UdpAssociate, SocksEndpoint.FromAddress(IPAddress.Any, 0));
        Assert.Equal(Socks5ReplyCode.Succeeded, reply.Code);
        return reply.Bound.ToIPEndPoint()!;
    }

    private static async Task<(IPEndPoint From, string Text)> RoundTripAsync(IPEndPoint relay, IPEndPoint target, string payload)
    {
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await udp.SendToAsync(UdpAssociateClient.Datagram(SocksEndpoint.FromEndPoint(target), payload), SocketFlags.None, relay);
        var buffer = new byte[2048];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = await udp.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), timeout.Token);
        return ((IPEndPoint)received.RemoteEndPoint, Encoding.ASCII.GetString(buffer, 0, received.ReceivedBytes));
    }
}
