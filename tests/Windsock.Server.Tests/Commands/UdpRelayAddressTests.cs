using System.Net;
using System.Net.Sockets;
using System.Text;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
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
        await using var server = TestServer.Start(o => o with { Listen = [new IPEndPoint(serverAddress, 0)] });
        await using var echo = new UdpEcho(IPAddress.Loopback);
        using var control = await RawClient.ConnectAsync(server.EndPoint, IPAddress.Loopback);
        Assert.Equal((byte)AuthMethod.None, await control.GreetAsync(AuthMethod.None));
        var reply = await control.RequestAsync(Socks5Command.UdpAssociate, SocksEndpoint.FromAddress(IPAddress.Any, 0));
        Assert.Equal(Socks5ReplyCode.Succeeded, reply.Code);
        var announced = reply.Bound.ToIPEndPoint()!;
        Assert.Equal(serverAddress, announced.Address);

        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var target = echo.EndPoint(IPAddress.Loopback);
        await udp.SendToAsync(UdpAssociateClient.Datagram(SocksEndpoint.FromEndPoint(target), "ping"), SocketFlags.None, announced);

        var buffer = new byte[2048];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = await udp.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), timeout.Token);

        Assert.Equal(announced, (IPEndPoint)received.RemoteEndPoint);
        Assert.EndsWith("ping", Encoding.ASCII.GetString(buffer, 0, received.ReceivedBytes), StringComparison.Ordinal);
    }
}
