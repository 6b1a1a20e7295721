using System.Net;
using System.Net.Sockets;

namespace Windsock.Interop.Tests.Infrastructure;

/// <summary>
/// Listens on 127.0.0.1 and [::1] with the same free port, so "localhost:PORT" reaches it
/// whichever address a resolver prefers. Hands each accepted socket to a handler.
/// </summary>
public sealed class DualLoopbackListener : IAsyncDisposable
{
    private const int Attempts = 50;
    private readonly List<Socket> _listeners = [];
    private readonly List<Task> _acceptLoops = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<Socket, CancellationToken, Task> _handle;
    private int _accepted;

    public DualLoopbackListener(Func<Socket, CancellationToken, Task> handle)
    {
        _handle = handle;
        for (var attempt = 0; ; attempt++)
        {
            var v4 = Bind(IPAddress.Loopback, 0);
            var port = ((IPEndPoint)v4.LocalEndPoint!).Port;
            try
            {
                var v6 = Bind(IPAddress.IPv6Loopback, port);
                _listeners.Add(v4);
                _listeners.Add(v6);
                Port = port;
                break;
            }
            catch (SocketException) when (attempt < Attempts)
            {
                v4.Dispose(); // [::1]:port was taken; take another port.
            }
        }
        foreach (var listener in _listeners)
        {
            _acceptLoops.Add(AcceptLoopAsync(listener));
        }
    }

    public int Port { get; }

    public int Accepted => Volatile.Read(ref _accepted);

    private static Socket Bind(IPAddress address, int port)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (address.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = false;
            }
            socket.Bind(new IPEndPoint(address, port));
            socket.Listen(128);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            Interlocked.Increment(ref _accepted);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using (client)
        {
            try
            {
                await _handle(client, _stop.Token);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // A client that goes away mid-response is the client's test's business.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var listener in _listeners)
        {
            listener.Dispose();
        }
        await Task.WhenAll(_acceptLoops).WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }
}
