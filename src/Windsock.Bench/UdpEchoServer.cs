using System.Net;
using System.Net.Sockets;

namespace Windsock.Bench;

/// <summary>
/// Sends every datagram straight back to where it came from, on 127.0.0.1 with an OS-chosen port; with a
/// check (the soak's SHA-256), only the datagrams that pass it, counting the others in <see cref="Rejected"/>.
/// </summary>
public sealed class UdpEchoServer : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<ReadOnlyMemory<byte>, bool>? _check;
    private Task? _loop;
    private long _rejected;

    public UdpEchoServer(Func<ReadOnlyMemory<byte>, bool>? check = null)
    {
        _check = check;
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _socket.ReceiveBufferSize = 4 * 1024 * 1024;
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>Datagrams the check refused (not echoed).</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    public void Start()
    {
        _loop ??= Task.Run(LoopAsync);
    }

    private async Task LoopAsync()
    {
        byte[] buffer = new byte[65536];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        CancellationToken token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                SocketReceiveFromResult got = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, token).ConfigureAwait(false);
                var datagram = buffer.AsMemory(0, got.ReceivedBytes);
                if (_check is not null && !_check(datagram))
                {
                    Interlocked.Increment(ref _rejected);
                    continue;
                }

                await _socket.SendToAsync(datagram, SocketFlags.None, got.RemoteEndPoint, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // ICMP port unreachable from a sender that went away, a full buffer: keep echoing.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        _stop.Dispose();
    }
}
