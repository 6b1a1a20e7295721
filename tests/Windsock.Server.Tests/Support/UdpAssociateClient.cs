using System.Net;
using System.Net.Sockets;
using System.Text;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Xunit;

namespace Windsock.Server.Tests.Support;

/// <summary>
/// A scripted UDP ASSOCIATE client: the control connection (a <see cref="RawClient"/>), the relay
/// address from the reply, and a UDP socket that sends and receives datagrams with SOCKS headers.
/// </summary>
internal sealed class UdpAssociateClient : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private UdpAssociateClient(RawClient control, Socket udp, Socks5Reply reply)
    {
        Control = control;
        Udp = udp;
        Reply = reply;
        Relay = reply.Bound.ToIPEndPoint()!;
    }

    public RawClient Control { get; }

    public Socket Udp { get; }

    public Socks5Reply Reply { get; }

    /// <summary>Where datagrams go: BND.ADDR/PORT of the reply.</summary>
    public IPEndPoint Relay { get; }

    /// <summary>
    /// Connects to <paramref name="server"/>, binds a UDP socket on the same loopback, and asks for an
    /// association; <paramref name="stated"/> is the request's DST (default 0.0.0.0:0), and with
    /// <paramref name="stateOwnPort"/> the request names the UDP socket's real address and port.
    /// </summary>
    public static async Task<UdpAssociateClient> OpenAsync(IPEndPoint server, SocksEndpoint? stated = null, bool stateOwnPort = false)
    {
        var control = await RawClient.ConnectAsync(server);
        var udp = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(server.Address, 0));
        Assert.Equal((byte)AuthMethod.None, await control.GreetAsync(AuthMethod.None));
        var request = stateOwnPort ? SocksEndpoint.FromEndPoint((IPEndPoint)udp.LocalEndPoint!) : stated ?? SocksEndpoint.FromAddress(IPAddress.Any, 0);
        var reply = await control.RequestAsync(Socks5Command.UdpAssociate, request);
        Assert.Equal(Socks5ReplyCode.Succeeded, reply.Code);
        return new UdpAssociateClient(control, udp, reply);
    }

    public static byte[] Datagram(SocksEndpoint destination, string payload, byte fragment = 0)
    {
        var header = new Socks5UdpHeader(fragment, destination);
        var bytes = new byte[header.EncodedLength + payload.Length];
        int length = header.Write(bytes);
        Encoding.ASCII.GetBytes(payload, bytes.AsSpan(length));
        return bytes;
    }

    public Task SendRawAsync(byte[] datagram) => Udp.SendToAsync(datagram, SocketFlags.None, Relay);

    public Task SendAsync(SocksEndpoint destination, string payload, byte fragment = 0) =>
        SendRawAsync(Datagram(destination, payload, fragment));

    /// <summary>The next datagram from the relay, split into its header's sender and the payload text.</summary>
    public async Task<(SocksEndpoint Sender, string Payload, IPEndPoint From)> ReceiveAsync(TimeSpan? timeout = null)
    {
        var buffer = new byte[65536];
        using var cts = new CancellationTokenSource(timeout ?? Timeout);
        EndPoint any = new IPEndPoint(Udp.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        var result = await Udp.ReceiveFromAsync(buffer, SocketFlags.None, any, cts.Token);
        var parsed = Socks5UdpHeader.TryParse(buffer.AsSpan(0, result.ReceivedBytes), out var header);
        Assert.True(parsed.IsDone, $"reply datagram has a bad header: {parsed.Error}");
        Assert.Equal(0, header.Fragment);
        return (header.Address, Encoding.ASCII.GetString(buffer, parsed.Consumed, result.ReceivedBytes - parsed.Consumed), (IPEndPoint)result.RemoteEndPoint);
    }

    /// <summary>Sends to the echo and expects the same payload back, from the echo as the header's sender.</summary>
    public async Task AssertEchoAsync(SocksEndpoint destination, IPEndPoint expectedSender, string payload)
    {
        await SendAsync(destination, payload);
        var (sender, text, from) = await ReceiveAsync();
        Assert.Equal(payload, text);
        Assert.Equal(SocksEndpoint.FromEndPoint(expectedSender), sender);
        Assert.Equal(Relay.Port, from.Port);
    }

    public void Dispose()
    {
        Udp.Dispose();
        Control.Dispose();
    }
}
