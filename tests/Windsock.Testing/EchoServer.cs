using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Windsock.Testing;

/// <summary>
/// A loopback TCP server that echoes what it receives, and after the client's FIN sends an optional
/// trailer and closes: enough to observe data, half-close and the peer addresses the proxy used.
/// </summary>
public sealed class EchoServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly byte[] _trailer;

    public EchoServer(IPAddress address, byte[]? trailer = null)
    {
        _trailer = trailer ?? [];
        _listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(address, 0));
        _listener.Listen(512);
        _accepting = AcceptAsync();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    /// <summary>Remote addresses of accepted connections, in order.</summary>
    public ConcurrentQueue<IPEndPoint> Peers { get; } = new();

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptAsync(_stop.Token);
                Peers.Enqueue((IPEndPoint)socket.RemoteEndPoint!);
                _ = EchoAsync(socket);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task EchoAsync(Socket socket)
    {
        using (socket)
        {
            var buffer = new byte[64 * 1024];
            try
            {
                while (true)
                {
                    int n = await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                    if (n == 0)
                    {
                        break;
                    }

                    await socket.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token);
                }

                if (_trailer.Length > 0)
                {
                    await socket.SendAsync(_trailer, SocketFlags.None, _stop.Token);
                }

                socket.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _accepting;
        _stop.Dispose();
    }
}
