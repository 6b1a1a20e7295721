using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Windsock.Server.Loops;

namespace Windsock.Bench;

/// <summary>
/// Sends every datagram straight back to where it came from, on 127.0.0.1 with an OS-chosen port; with a
/// check (the soak's SHA-256), only the datagrams that pass it, counting the others in <see cref="Rejected"/>.
/// <para>
/// One thread of its own blocked in <c>recvfrom</c>, answering with <c>sendto</c>, the sender kept in one reused
/// <see cref="SocketAddress"/>: two system calls and no allocation per datagram. (The async version's hop to a
/// thread-pool worker and back cost several times that, and the echo is part of every round trip the bench times.)
/// </para>
/// </summary>
public sealed class UdpEchoServer : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Func<ReadOnlyMemory<byte>, bool>? _check;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Thread? _thread;
    private volatile bool _stopping;
    private long _rejected;

    public UdpEchoServer(Func<ReadOnlyMemory<byte>, bool>? check = null)
    {
        _check = check;
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _socket.ReceiveBufferSize = 4 * 1024 * 1024;
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    /// <summary>The largest datagram the echo answers in full.</summary>
    public const int MaxDatagram = 65536;

    public IPEndPoint EndPoint { get; }

    /// <summary>The echo's socket, for a loop that watches it and calls <see cref="EchoOne"/> when it is readable (instead of <see cref="Start"/>).</summary>
    internal SafeHandle Handle => _socket.SafeHandle;

    /// <summary>Datagrams the check refused (not echoed).</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    public void Start()
    {
        if (_thread is not null)
        {
            return;
        }

        _thread = new Thread(Loop, maxStackSize: 256 * 1024) { IsBackground = true, Name = "udp bench echo" };
        _thread.UnsafeStart();
    }

    private void Loop()
    {
        try
        {
            byte[] buffer = new byte[MaxDatagram];
            var sender = new SocketAddress(AddressFamily.InterNetwork);
            while (!_stopping)
            {
                try
                {
                    int got = _socket.ReceiveFrom(buffer, SocketFlags.None, sender);
                    if (_stopping)
                    {
                        return;
                    }

                    if (Passes(buffer.AsMemory(0, got)))
                    {
                        _socket.SendTo(buffer.AsSpan(0, got), SocketFlags.None, sender);
                    }
                }
                catch (SocketException) when (!_stopping)
                {
                    // ICMP port unreachable from a sender that went away, a full buffer: keep echoing.
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Closed while stopping.
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    /// <summary>
    /// On a loop's thread, when the socket is readable: receives one datagram without waiting and sends it back
    /// (non-blocking: a full send buffer drops it, which the sender counts as lost). Linux only; never with <see cref="Start"/>.
    /// </summary>
    internal void EchoOne(byte[] buffer, SocketAddress sender)
    {
        int got = LinuxDatagrams.ReceiveFrom(_socket.SafeHandle, buffer.AsSpan(0, Math.Min(buffer.Length, MaxDatagram)), sender, out _);
        if (got >= 0 && Passes(buffer.AsMemory(0, got)))
        {
            _ = LinuxDatagrams.SendTo(_socket.SafeHandle, buffer.AsSpan(0, got), sender);
        }
    }

    private bool Passes(ReadOnlyMemory<byte> datagram)
    {
        if (_check is null || _check(datagram))
        {
            return true;
        }

        Interlocked.Increment(ref _rejected);
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        if (_thread is not null)
        {
            // Wake the blocked receive with a datagram of our own, then close: no wait on a timeout, and no reliance on
            // close() waking a thread blocked in recvfrom (Linux does not promise it).
            _stopping = true;
            using (var wake = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
            {
                wake.SendTo([0], EndPoint);
            }

            await _stopped.Task.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }

        _socket.Dispose();
    }
}
