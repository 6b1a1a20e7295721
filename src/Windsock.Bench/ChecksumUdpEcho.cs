using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Windsock.Bench;

/// <summary>
/// The soak's UDP destination: a datagram is a SHA-256 then the payload; it is echoed only when the hash
/// matches (a damaged one is counted and dropped, so the sender sees it lost as well as the count).
/// </summary>
public sealed class ChecksumUdpEcho : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private long _corrupt;

    public ChecksumUdpEcho()
    {
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 4 * 1024 * 1024 };
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    public IPEndPoint EndPoint { get; }

    public long Corrupt => Interlocked.Read(ref _corrupt);

    public void Start() => _loop ??= Task.Run(LoopAsync);

    private async Task LoopAsync()
    {
        byte[] buffer = new byte[65536];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var got = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token).ConfigureAwait(false);
                var datagram = buffer.AsMemory(0, got.ReceivedBytes);
                if (datagram.Length < 32 || !SHA256.HashData(datagram.Span[32..]).AsSpan().SequenceEqual(datagram.Span[..32]))
                {
                    Interlocked.Increment(ref _corrupt);
                    continue;
                }

                await _socket.SendToAsync(datagram, SocketFlags.None, got.RemoteEndPoint, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // ICMP unreachable from an association that ended: keep echoing for the others.
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
