using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Windsock.Testing;

/// <summary>
/// A loopback UDP echo: every datagram goes back to its sender unchanged. With both loopbacks it
/// listens on 127.0.0.1 and [::1] with one port, so "localhost" reaches it whichever address wins.
/// It remembers what it received, so tests can prove a datagram never arrived.
/// </summary>
public sealed class UdpEcho : IAsyncDisposable
{
    private const int Attempts = 50;
    private readonly List<Socket> _sockets = [];
    private readonly List<Task> _loops = [];
    private readonly CancellationTokenSource _stop = new();

    /// <summary>On the given addresses, one port for all; on 127.0.0.1 when none is given.</summary>
    public UdpEcho(params IPAddress[] addresses)
    {
        if (addresses.Length == 0)
        {
            addresses = [IPAddress.Loopback];
        }

        for (int attempt = 0; ; attempt++)
        {
            try
            {
                int port = 0;
                foreach (var address in addresses)
                {
                    var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                    _sockets.Add(socket);
                    if (address.AddressFamily == AddressFamily.InterNetworkV6)
                    {
                        socket.DualMode = false;
                    }

                    socket.Bind(new IPEndPoint(address, port));
                    port = ((IPEndPoint)socket.LocalEndPoint!).Port;
                }

                Port = port;
                break;
            }
            catch (SocketException) when (attempt < Attempts)
            {
                foreach (var socket in _sockets)
                {
                    socket.Dispose();
                }

                _sockets.Clear();
            }
        }

        foreach (var socket in _sockets)
        {
            _loops.Add(EchoAsync(socket));
        }
    }

    public int Port { get; }

    public IPEndPoint EndPoint(IPAddress address) => new(address, Port);

    /// <summary>Payloads received, as text (tests send ASCII markers).</summary>
    public ConcurrentQueue<string> Received { get; } = new();

    /// <summary>The source address of each datagram received, in order (where a relay sent from).</summary>
    public ConcurrentQueue<IPEndPoint> Senders { get; } = new();

    private async Task EchoAsync(Socket socket)
    {
        var buffer = new byte[65536];
        EndPoint any = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        try
        {
            while (true)
            {
                var result = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
                Senders.Enqueue((IPEndPoint)result.RemoteEndPoint);
                Received.Enqueue(System.Text.Encoding.ASCII.GetString(buffer, 0, result.ReceivedBytes));
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
