using System.Buffers;
using System.Net.Sockets;
using Windsock.Server.Sessions;

namespace Windsock.Server.Relay;

/// <summary>
/// Copies bytes both ways between the client and the destination until both have finished.
/// <list type="bullet">
/// <item>No buffer is held while a direction is idle: a zero-byte receive waits for data, and only
/// then is a buffer rented; it goes back to the pool as soon as the socket has nothing more queued.</item>
/// <item>No allocation per read: pooled buffers and the sockets' cached awaitables.</item>
/// <item>Half-close is propagated: a FIN from one side becomes a shutdown(SHUT_WR) on the other, and the
/// opposite direction keeps flowing until it finishes too.</item>
/// <item>An error on either side ends both directions at once.</item>
/// </list>
/// On Linux, with <see cref="RelayMode.Splice"/>, each direction moves its bytes socket → pipe → socket with
/// splice(2) instead (TcpRelay.Splice.cs); this copy loop stays the fallback where splice is not available.
/// </summary>
public sealed partial class TcpRelay
{
    private readonly Socket _client;
    private readonly Socket _destination;
    private readonly SessionRecord _record;
    private readonly int _bufferSize;
    private readonly TimeSpan _idleTimeout;
    private readonly TimeProvider _time;
    private readonly RelayMode _mode;
    private long _lastActivity;
    private int _firstError; // 0 none, 1 client, 2 destination
    private int _stopped;
    private bool _idleExpired;
    private CancellationToken _shutdown;

    public TcpRelay(Socket client, Socket destination, SessionRecord record, int bufferSize, TimeSpan idleTimeout, TimeProvider time, RelayMode mode = RelayMode.Splice)
    {
        _mode = mode;
        _client = client;
        _destination = destination;
        _record = record;
        _bufferSize = bufferSize;
        _idleTimeout = idleTimeout;
        _time = time;
    }

    public async Task<RelayEnd> RunAsync(CancellationToken shutdown)
    {
        _lastActivity = _time.GetTimestamp();

        // No linked token source per relay: the pumps' socket operations take the server's shutdown token
        // as it is, and an idle timeout or a failed side stops the relay by shutting both sockets down,
        // which completes whatever the pumps wait for. (Passing a token also replaces the registration the
        // sockets' cached operations keep from the handshake, which would otherwise keep that
        // handshake's disposed token sources reachable for the life of the session.)
        _shutdown = shutdown;
        await using var idleTimer = _time.CreateTimer(static state => ((TcpRelay)state!).CheckIdle(), this, _idleTimeout, CheckInterval(_idleTimeout)).ConfigureAwait(false);

        bool splice = _mode == RelayMode.Splice && SplicePipePool.IsSupported;
        var down = splice ? SplicePumpAsync(_destination, _client, upstream: false) : PumpAsync(_destination, _client, upstream: false);
        var up = splice ? SplicePumpAsync(_client, _destination, upstream: true) : PumpAsync(_client, _destination, upstream: true);
        await up.ConfigureAwait(false);
        await down.ConfigureAwait(false);

        if (Volatile.Read(ref _idleExpired))
        {
            return RelayEnd.IdleTimeout;
        }

        if (shutdown.IsCancellationRequested)
        {
            return RelayEnd.Shutdown;
        }

        return Volatile.Read(ref _firstError) switch
        {
            1 => RelayEnd.ClientError,
            2 => RelayEnd.DestinationError,
            _ => RelayEnd.Closed,
        };
    }

    private bool Stopped => Volatile.Read(ref _stopped) != 0 || _shutdown.IsCancellationRequested;

    private void CheckIdle()
    {
        if (_time.GetElapsedTime(Volatile.Read(ref _lastActivity)) >= _idleTimeout)
        {
            Volatile.Write(ref _idleExpired, true);
            Stop();
        }
    }

    /// <summary>
    /// Ends both directions now (idle timeout, shutdown, a failed side): shutdown(SHUT_RDWR) on both
    /// sockets completes pending receives and sends; the pumps see <see cref="Stopped"/> and return.
    /// The sockets stay open for their owners to close.
    /// </summary>
    private void Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        ShutdownBoth(_client);
        ShutdownBoth(_destination);
    }

    private static void ShutdownBoth(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Not connected any more: nothing is pending on it either.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    // Checking a few times per timeout keeps the overshoot small without a timer reset per read.
    private static TimeSpan CheckInterval(TimeSpan idleTimeout) =>
        idleTimeout <= TimeSpan.FromSeconds(4) ? idleTimeout / 4 : TimeSpan.FromSeconds(Math.Min(idleTimeout.TotalSeconds / 4, 30));

    private async Task PumpAsync(Socket from, Socket to, bool upstream)
    {
        byte[]? buffer = null;
        long moved = 0;
        try
        {
            while (true)
            {
                if (buffer is null)
                {
                    // Wait for readability without holding memory: idle sessions cost no buffer.
                    await from.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, _shutdown).ConfigureAwait(false);
                    if (Stopped)
                    {
                        return;
                    }

                    buffer = ArrayPool<byte>.Shared.Rent(_bufferSize);
                }

                int read;
                try
                {
                    read = await from.ReceiveAsync(buffer.AsMemory(), SocketFlags.None, _shutdown).ConfigureAwait(false);
                }
                catch (SocketException)
                {
                    Fail(upstream ? 1 : 2);
                    return;
                }

                if (Stopped)
                {
                    return;
                }

                if (read == 0)
                {
                    // FIN from this side: pass it on and let the other direction finish on its own.
                    try
                    {
                        to.Shutdown(SocketShutdown.Send);
                    }
                    catch (SocketException)
                    {
                        // The other side is already gone; its own pump reports that.
                    }

                    return;
                }

                Volatile.Write(ref _lastActivity, _time.GetTimestamp());
                try
                {
                    await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _shutdown).ConfigureAwait(false);
                }
                catch (SocketException)
                {
                    Fail(upstream ? 2 : 1);
                    return;
                }

                moved += read;
                if (from.Available == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = null;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Server shutdown.
        }
        catch (SocketException)
        {
            Fail(upstream ? 1 : 2);
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            if (upstream)
            {
                _record.AddBytesUp(moved);
            }
            else
            {
                _record.AddBytesDown(moved);
            }
        }
    }

    private void Fail(int side)
    {
        // After a stop, errors are the stop's own doing (a shut-down socket), not a side failing.
        if (!Stopped)
        {
            Interlocked.CompareExchange(ref _firstError, side, 0);
        }

        Stop();
    }
}
