using System.Net;
using System.Net.Sockets;
using Windsock.Client.Tests.Support;
using Xunit;

namespace Windsock.Client.Tests;

/// <summary>
/// BIND and UDP scenarios written once and run against every server that supports them: Dante now,
/// Windsock once its BIND and UDP ASSOCIATE are merged (see the tests with Trait "Server" = "Windsock-pending").
/// </summary>
internal static class Scenarios
{
    /// <summary>Announce, let a peer connect to the announced address, then exchange data both ways.</summary>
    public static async Task BindAcceptsOnePeerAsync(IPEndPoint proxy, SocksProtocol protocol, CancellationToken cancellationToken)
    {
        var client = new SocksClient(new ProxyHop(proxy, protocol));
        await using var bind = await client.BindAsync(new IPEndPoint(IPAddress.Loopback, 0), cancellationToken);
        Assert.True(IPAddress.IsLoopback(bind.ListenEndPoint.Address), $"announced {bind.ListenEndPoint}");
        Assert.NotEqual(0, bind.ListenEndPoint.Port);

        var accepting = bind.AcceptAsync(cancellationToken);
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await peer.ConnectAsync(bind.ListenEndPoint, cancellationToken);
        using var accepted = await accepting;

        var peerEndPoint = Assert.IsType<IPEndPoint>(bind.RemoteEndPoint);
        Assert.Equal(((IPEndPoint)peer.LocalEndPoint!).Port, peerEndPoint.Port);

        await peer.SendAsync("from the peer"u8.ToArray(), SocketFlags.None, cancellationToken);
        Assert.Equal("from the peer"u8.ToArray(), await Echo.ReadExactlyAsync(accepted, 13, cancellationToken));
        await accepted.SendAsync("from the client"u8.ToArray(), SocketFlags.None, cancellationToken);
        Assert.Equal("from the client"u8.ToArray(), await Echo.ReadExactlyAsync(peer, 15, cancellationToken));
    }

    /// <summary>Datagrams to a loopback echo come back with the echo as sender; disposing ends the association.</summary>
    public static async Task UdpRoundTripAsync(IPEndPoint proxy, CancellationToken cancellationToken)
    {
        await using var echo = new UdpEcho();
        var client = new SocksClient(new ProxyHop(proxy));
        await using var udp = await client.AssociateUdpAsync(cancellationToken);

        // UDP may drop on a busy host even on loopback: resend until an answer comes, within the bound.
        var buffer = new byte[65536];
        foreach (int size in new[] { 1, 1200, 8000 })
        {
            var payload = new byte[size];
            new Random(size).NextBytes(payload);
            SocksUdpReceiveResult result = default;
            while (result.ReceivedBytes == 0)
            {
                await udp.SendAsync(payload, echo.EndPoint(IPAddress.Loopback), cancellationToken);
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                attempt.CancelAfter(TimeSpan.FromSeconds(1));
                try
                {
                    result = await udp.ReceiveAsync(buffer, attempt.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                }
            }

            Assert.Equal(payload, buffer.AsSpan(0, result.ReceivedBytes).ToArray());
            Assert.Equal(echo.EndPoint(IPAddress.Loopback), result.RemoteEndPoint);
        }

        // By name, resolved by the proxy.
        await udp.SendAsync("named"u8.ToArray(), "localhost", echo.EndPoint(IPAddress.Loopback).Port, cancellationToken);
        var datagram = await udp.ReceiveAsync(cancellationToken);
        Assert.Equal("named"u8.ToArray(), datagram.Payload.ToArray());
    }
}
