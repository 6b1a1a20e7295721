using System.Net;
using System.Net.Sockets;

namespace Windsock.Client.Tests.Support;

/// <summary>A loopback UDP socket that sends every datagram back to its sender.</summary>
internal sealed class UdpEcho : IAsyncDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _echoing;

    public UdpEcho()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _echoing = EchoAsync();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    private async Task EchoAsync()
    {
        var buffer = new byte[65536];
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
                await _socket.SendToAsync(buffer.AsMemory(0, result.ReceivedBytes), SocketFlags.None, result.RemoteEndPoint, _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        await _echoing;
        _stop.Dispose();
    }
}
