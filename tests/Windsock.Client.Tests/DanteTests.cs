using System.Net;
using Windsock.Client.Tests.Support;
using Xunit;

namespace Windsock.Client.Tests;

/// <summary>The client against Dante (Debian package dante-server), an independent implementation with BIND and UDP.</summary>
[Trait("Peer", "Dante")]
public class DanteTests
{
    /// <summary>
    /// Every command allowed between loopback addresses: CONNECT, BIND and UDP ASSOCIATE, and the incoming BIND
    /// connection and UDP replies.
    /// </summary>
    private const string EveryCommandBetweenLoopback = """
        socks pass {
          from: 127.0.0.0/8 to: 0.0.0.0/0
          command: bind connect udpassociate
          log: error
        }
        socks pass {
          from: 0.0.0.0/0 to: 127.0.0.0/8
          command: bindreply udpreply
          log: error
        }
        """;

    [Theory]
    [InlineData(SocksProtocol.Socks5, "127.0.0.1")]
    [InlineData(SocksProtocol.Socks5, "localhost")]
    [InlineData(SocksProtocol.Socks4, "127.0.0.1")]
    public async Task Connect_carries_data_both_ways(SocksProtocol protocol, string target)
    {
        using var cts = Bounded.Cts();
        await using var dante = await ExternalProxy.StartDanteAsync(EveryCommandBetweenLoopback);
        await using var echo = new EchoServer(IPAddress.Loopback);
        var client = new SocksClient(new ProxyHop(dante.EndPoint, protocol));

        using var socket = await client.ConnectAsync(target, echo.EndPoint.Port, cts.Token);
        await Echo.AssertRoundTripAsync(socket, cancellationToken: cts.Token);
    }

    [Fact]
    public async Task Refused_destination_is_reply_5()
    {
        using var cts = Bounded.Cts();
        await using var dante = await ExternalProxy.StartDanteAsync(EveryCommandBetweenLoopback);
        var client = new SocksClient(new ProxyHop(dante.EndPoint));

        var e = await Assert.ThrowsAsync<SocksException>(() => client.ConnectAsync(IPAddress.Loopback, FreePort.Closed(), cts.Token));
        Assert.Equal(SocksErrorKind.CommandFailed, e.Kind);
        Assert.Equal(5, e.ReplyCode);
        Assert.Equal("connection refused", e.ReplyMeaning);
    }

    [Theory]
    [InlineData(SocksProtocol.Socks5)]
    [InlineData(SocksProtocol.Socks4)]
    public async Task Bind_accepts_one_peer(SocksProtocol protocol)
    {
        using var cts = Bounded.Cts();
        await using var dante = await ExternalProxy.StartDanteAsync(EveryCommandBetweenLoopback);
        await Scenarios.BindAcceptsOnePeerAsync(dante.EndPoint, protocol, cts.Token);
    }

    [Fact]
    public async Task Udp_association_round_trips_datagrams()
    {
        using var cts = Bounded.Cts();
        await using var dante = await ExternalProxy.StartDanteAsync(EveryCommandBetweenLoopback);
        await Scenarios.UdpRoundTripAsync(dante.EndPoint, cts.Token);
    }

    [Fact]
    public async Task Chain_of_dante_then_windsock()
    {
        using var cts = Bounded.Cts();
        await using var dante = await ExternalProxy.StartDanteAsync(EveryCommandBetweenLoopback);
        await using var windsock = TestServer.Start();
        await using var echo = new EchoServer(IPAddress.Loopback);
        var client = new SocksClient(new ProxyChain(new ProxyHop(dante.EndPoint), new ProxyHop(windsock.EndPoint, SocksProtocol.Socks4a)));

        using var socket = await client.ConnectAsync("localhost", echo.EndPoint.Port, cts.Token);
        await Echo.AssertRoundTripAsync(socket, cancellationToken: cts.Token);
    }
}
