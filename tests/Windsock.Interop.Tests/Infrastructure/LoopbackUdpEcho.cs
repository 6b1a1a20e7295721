using System.Net;
using System.Net.Sockets;

namespace Windsock.Interop.Tests.Infrastructure;

/// <summary>
/// Echoes every UDP datagram back to its sender on 127.0.0.1 and [::1] with one port, so
/// "localhost:PORT" reaches it whichever address a resolver prefers.
/// </summary>
public sealed class LoopbackUdpEcho : IAsyncDisposable
{
    private const int Attempts = 50;
    private readonly List<Socket> _sockets = [];
    private readonly List<Task> _loops = [];
    private readonly CancellationTokenSource _stop = new();

    public LoopbackUdpEcho()
    {
        for (var attempt = 0; ; attempt++)
        {
            var v4 = Bind(IPAddress.Loopback, 0);
            var port = ((IPEndPoint)v4.LocalEndPoint!).Port;
            try
            {
                var v6 = Bind(IPAddress.IPv6Loopback, port);
                _sockets.Add(v4);
                _sockets.Add(v6);
                Port = port;
                break;
            }
            catch (SocketException) when (attempt < Attempts)
            {
                v4.Dispose();
            }
        }
        foreach (var socket in _sockets)
        {
            _loops.Add(EchoAsync(socket));
        }
    }

    public int Port { get; }

    private static Socket Bind(IPAddress address, int port)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (address.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = false;
            }
            socket.Bind(new IPEndPoint(address, port));
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task EchoAsync(Socket socket)
    {
        var buffer = new byte[65536];
        EndPoint any = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        try
        {
            while (true)
            {
                var result = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
                await socket.SendToAsync(buffer.AsMemory(0, result.ReceivedBytes), SocketFlags.None, result.RemoteEndPoint, _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }
        await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }
}
