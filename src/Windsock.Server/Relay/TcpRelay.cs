using System.Net.Sockets;
using Windsock.Server.Sessions;

namespace Windsock.Server.Relay;

/// <summary>
/// The relay core: moves bytes both ways between the client and its peer (a CONNECT destination or a BIND
/// peer) until both directions are finished, with the same rules whatever moves the bytes:
/// <list type="bullet">
/// <item>Each direction is one pump of the <see cref="RelayStrategy"/> (copy, splice or GSSAPI wrapping);
/// both run at once and both are awaited, whichever ends first and however.</item>
/// <item>Half-close is passed on by the pumps: a FIN one way leaves the other way flowing.</item>
/// <item>The first failure (client, destination, or a protected message refused) stops both directions
/// and decides the <see cref="RelayEnd"/>: stopping is shutdown(SHUT_RDWR) on both sockets, which
/// completes whatever either pump waits for, so no linked token source is needed per relay.</item>
/// <item>An idle timeout: no byte either way for that long stops the relay.</item>
/// <item>Byte counts go to the session record as they move (the live session list shows them), one interlocked add per send.</item>
/// </list>
/// The sockets stay open for their owners to close.
/// </summary>
internal sealed class TcpRelay
{
    private readonly Socket _client;
    private readonly Socket _destination;
    private readonly SessionRecord _record;
    private readonly RelayStrategy _strategy;
    private readonly TimeSpan _idleTimeout;
    private readonly TimeProvider _time;
    private long _lastActivity;
    private int _firstFailure; // a RelaySide
    private int _stopped;
    private bool _idleExpired;
    private string? _refusal;
    private CancellationToken _shutdown;

    public TcpRelay(Socket client, Socket destination, SessionRecord record, RelayStrategy strategy, TimeSpan idleTimeout, TimeProvider time)
    {
        _client = client;
        _destination = destination;
        _record = record;
        _strategy = strategy;
        _idleTimeout = idleTimeout;
        _time = time;
    }

    /// <summary>With <see cref="RelayEnd.ProtectionFailed"/>: why the client's message was refused ("gssapi: tampered message: MessageAltered").</summary>
    public string? Refusal => Volatile.Read(ref _refusal);

    /// <summary>The server's clock, for pumps that wait (a paced relay).</summary>
    public TimeProvider Time => _time;

    /// <summary>The server's shutdown token, for the pumps' socket operations.</summary>
    public CancellationToken Shutdown => _shutdown;

    /// <summary>True once the relay was stopped (a failure, the idle timeout) or the server shuts down: pumps return.</summary>
    public bool Stopped => Volatile.Read(ref _stopped) != 0 || _shutdown.IsCancellationRequested;

    public async Task<RelayEnd> RunAsync(CancellationToken shutdown)
    {
        _lastActivity = _time.GetTimestamp();

        // The pumps' socket operations take the server's shutdown token as it is. (Passing a token also
        // replaces the registration the sockets' cached operations keep from the handshake, which would
        // otherwise keep that handshake's disposed token sources reachable for the life of the session.)
        _shutdown = shutdown;
        await using var idleTimer = _time.CreateTimer(static state => ((TcpRelay)state!).CheckIdle(), this, _idleTimeout, CheckInterval(_idleTimeout)).ConfigureAwait(false);

        // Idle directions park in the shared epoll set rather than in a pending .NET receive (Linux). A parked wait
        // knows nothing of the token, so the token stops the relay as a failure or the idle timeout does:
        // shutdown(2) of both sockets, which the epoll set reports. One registration per relay, whether parked or not.
        var downPark = ParkedSocket.For(_destination);
        var upPark = downPark is null ? null : ParkedSocket.For(_client);
        using var stopOnShutdown = downPark is null ? default : shutdown.UnsafeRegister(static state => ((TcpRelay)state!).Stop(), this);

        var down = _strategy.RunAsync(this, new RelayDirection(_destination, _client, upstream: false, downPark));
        var up = _strategy.RunAsync(this, new RelayDirection(_client, _destination, upstream: true, upPark));

        // Both awaited whatever happens to the other (without an allocation for WhenAll). A pump that throws
        // something unexpected has stopped the relay first, so the other one finishes too; the exception
        // then goes on to the session, which logs it.
        try
        {
            await up.ConfigureAwait(false);
        }
        finally
        {
            await down.ConfigureAwait(false);
        }

        return Result(Volatile.Read(ref _firstFailure), Volatile.Read(ref _idleExpired), shutdown.IsCancellationRequested);
    }

    /// <summary>Which end the log shows, in order of what explains the end best.</summary>
    internal static RelayEnd Result(int firstFailure, bool idleExpired, bool shutdown) => (RelaySide)firstFailure switch
    {
        RelaySide.Protection => RelayEnd.ProtectionFailed,
        _ when idleExpired => RelayEnd.IdleTimeout,
        _ when shutdown => RelayEnd.Shutdown,
        RelaySide.Client => RelayEnd.ClientError,
        RelaySide.Destination => RelayEnd.DestinationError,
        _ => RelayEnd.Closed,
    };

    /// <summary>Bytes moved in <paramref name="direction"/>, counted after each send (or splice burst).</summary>
    public void CountMoved(RelayDirection direction, long bytes)
    {
        if (direction.Upstream)
        {
            _record.AddBytesUp(bytes);
        }
        else
        {
            _record.AddBytesDown(bytes);
        }
    }

    /// <summary>A byte moved: the idle timeout starts again.</summary>
    public void Touch() => Volatile.Write(ref _lastActivity, _time.GetTimestamp());

    /// <summary>
    /// <paramref name="side"/> failed: the first failure decides the result, and the relay stops. After a stop,
    /// errors are the stop's own doing (a shut-down socket), not a side failing.
    /// </summary>
    public void Fail(RelaySide side)
    {
        if (!Stopped)
        {
            Interlocked.CompareExchange(ref _firstFailure, (int)side, (int)RelaySide.None);
        }

        Stop();
    }

    /// <summary>A protected message from the client was refused: nothing more of it moves, and the log says why.</summary>
    public void Refuse(string reason)
    {
        if (!Stopped)
        {
            Interlocked.CompareExchange(ref _refusal, reason, null);
        }

        Fail(RelaySide.Protection);
    }

    /// <summary>
    /// Waits until <paramref name="direction"/>'s source is readable (or at its end, failed, shut down) without
    /// holding a buffer: parked in the epoll set where there is one and the direction is not busy
    /// (<see cref="ParkedSocket.ShouldPark"/>), else a zero-byte receive. The pump then reads without blocking, and
    /// checks <see cref="Stopped"/> first.
    /// </summary>
    public ValueTask<int> WaitReadableAsync(RelayDirection direction) =>
        direction.Park is { } park && park.ShouldPark(_time) && park.TryWait(out var parked)
            ? parked
            : direction.From.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, _shutdown);

    /// <summary><paramref name="strategy"/>'s pump of <paramref name="direction"/>, its failures handled (<see cref="Ended"/>).</summary>
    internal async Task RunPumpAsync(RelayStrategy strategy, RelayDirection direction)
    {
        try
        {
            await strategy.PumpAsync(this, direction).ConfigureAwait(false);
        }
        catch (Exception e) when (Ended(direction, e))
        {
            // Ended quietly, or the source side failed; a bug in the pump goes on to the session.
        }
        finally
        {
            // Out of the epoll set before the session closes the socket.
            direction.Park?.Dispose();
        }
    }

    /// <summary>
    /// What a pump that threw means for the relay: server shutdown (<see cref="OperationCanceledException"/>) or a
    /// socket closed under it by its owner end the direction quietly; a socket error fails its source side. Anything
    /// else is a bug in the pump: the other direction is stopped so it does not wait forever, and false says the
    /// exception goes on to the session, which logs it.
    /// </summary>
    internal bool Ended(RelayDirection direction, Exception failure)
    {
        switch (failure)
        {
            case OperationCanceledException:
            case ObjectDisposedException:
                return true;
            case SocketException:
                Fail(direction.FromSide);
                return true;
            default:
                Fail(direction.FromSide);
                return false;
        }
    }

    private void CheckIdle()
    {
        if (_time.GetElapsedTime(Volatile.Read(ref _lastActivity)) >= _idleTimeout)
        {
            Volatile.Write(ref _idleExpired, true);
            Stop();
        }
    }

    /// <summary>
    /// Ends both directions now: shutdown(SHUT_RDWR) on both sockets completes pending receives and sends;
    /// the pumps see <see cref="Stopped"/> and return.
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

    /// <summary>Shuts both directions of <paramref name="socket"/>, which may be gone already: what wakes anything still waiting on it.</summary>
    internal static void ShutdownBoth(Socket socket)
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

    /// <summary>A FIN from one side becomes a half-close of the other.</summary>
    public static void PassOnFin(Socket to)
    {
        try
        {
            to.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // The other side is already gone; its own pump reports that.
        }
    }

    // Checking a few times per timeout keeps the overshoot small without a timer reset per read.
    internal static TimeSpan CheckInterval(TimeSpan idleTimeout) =>
        idleTimeout <= TimeSpan.FromSeconds(4) ? idleTimeout / 4 : TimeSpan.FromSeconds(Math.Min(idleTimeout.TotalSeconds / 4, 30));
}
