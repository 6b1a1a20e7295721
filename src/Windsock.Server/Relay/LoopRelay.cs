using System.Net.Sockets;
using Windsock.Server.Sessions;

namespace Windsock.Server.Relay;

/// <summary>
/// A plain relay (splice, or the copy loop) run on the <see cref="HandshakeLoop"/>'s threads, where the session's
/// handshake and outbound connect already ran: both sockets registered edge-triggered in the loop's epoll set, the
/// bytes moved with non-blocking calls on the thread that saw a socket ready, and the session's end continuing
/// there too (the relay ends the session itself: <see cref="ClientConnection.RelayEnded"/>). From accept to close a plain CONNECT then never hands work to the thread pool (whose workers spin
/// for it: docs/benchmarks.md, "The cost of a connection"), and an idle session holds this one object and its two
/// epoll entries: no pending receive, no state machine, no parked wait per direction.
/// <para>
/// The rules are <see cref="TcpRelay"/>'s: a FIN one way is passed on as a half-close and the other way keeps
/// flowing; the first failure decides the <see cref="RelayEnd"/> and stops both ways (shutdown(SHUT_RDWR) of both
/// sockets); the idle timeout; byte counts to the session record as they move. What moves the bytes is in
/// <see cref="Lane"/>: a small burst through the loop thread's scratch buffer, a bulk transfer's bursts through a
/// pooled pipe (splice); a pipe, or a pooled buffer for what a sink did not take, is held only while bytes wait in it.
/// </para>
/// <para>
/// One run at a time: a report for either socket, on either loop thread, sets its readiness bits and runs the relay
/// unless a run is under way, which then takes the bits in before it ends. A run moves at most
/// <see cref="BytesPerTurn"/> before letting the loop serve other sockets (it re-arms both sockets, and the kernel
/// reports them again if they are still ready).
/// </para>
/// </summary>
internal sealed partial class LoopRelay : LoopHandler
{
    /// <summary>Bytes a run moves (both directions together) before other sockets on the loop get their turn.</summary>
    internal const long BytesPerTurn = 1 << 20;

    // Writability is asked for only once a send found the socket full: registered from the start, every relay
    // would get a report (and a wake of a loop thread) per socket just for being writable.
    private const uint Interest = LinuxEpoll.EPOLLIN | LinuxEpoll.EPOLLRDHUP | LinuxEpoll.EPOLLET;
    private const uint ReadableEvents = LinuxEpoll.EPOLLIN | LinuxEpoll.EPOLLRDHUP | LinuxEpoll.EPOLLHUP | LinuxEpoll.EPOLLERR;
    private const uint WritableEvents = LinuxEpoll.EPOLLOUT | LinuxEpoll.EPOLLHUP | LinuxEpoll.EPOLLERR;

    // What the epoll set reported and no run has taken in yet.
    private const int ClientReadable = 1;
    private const int ClientWritable = 2;
    private const int DestinationReadable = 4;
    private const int DestinationWritable = 8;
    private const int StopRequested = 16;
    private const int ClientHungUp = 32;
    private const int DestinationHungUp = 64;
    private const uint HangUpEvents = LinuxEpoll.EPOLLRDHUP | LinuxEpoll.EPOLLHUP | LinuxEpoll.EPOLLERR;

    private static long _started;

    private readonly ClientConnection _connection;
    private readonly Socket _client;
    private readonly Socket _destination;
    private readonly SessionRecord _record;
    private readonly TimeProvider _time;
    private readonly TimeSpan _idleTimeout;
    private readonly int _copyBufferSize;
    private Lane _up;
    private Lane _down;
    private int _clientFd = -1;
    private int _destinationFd = -1;
    private bool _clientReferenced;
    private bool _destinationReferenced;
    private int _slot = -1;
    private int _pending;
    private int _running;
    private int _stopped;
    private int _firstFailure; // a RelaySide
    private bool _idleExpired;
    private bool _finished;
    private long _lastActivity;
    private CancellationTokenRegistration _stopOnShutdown;
    private CancellationToken _shutdown;

    // Readiness as the runs know it, edge-triggered: false after a call on the socket said EAGAIN, true again when the
    // set reports the socket. Nothing is known readable at the start: registering a socket that has bytes waiting (a
    // destination's banner, the client's next request) makes the kernel report it at once. Only the run touches these.
    private bool _clientCanRead;
    private bool _clientCanWrite = true;
    private bool _destinationCanRead;
    private bool _destinationCanWrite = true;
    private bool _clientHungUp;
    private bool _destinationHungUp;
    private bool _clientWatchesWrite;
    private bool _destinationWatchesWrite;

    private LoopRelay(ClientConnection connection, Socket destination, bool copy, int copyBufferSize, TimeSpan idleTimeout, TimeProvider time)
    {
        _connection = connection;
        _client = connection.Socket;
        _destination = destination;
        _record = connection.Record;
        _copyBufferSize = copyBufferSize;
        _idleTimeout = idleTimeout;
        _time = time;
        _up.Copy = copy;
        _down.Copy = copy;
    }

    /// <summary>Relays started on the loop since the process began: what tests count to see this path taken.</summary>
    internal static long Started => Interlocked.Read(ref _started);

    /// <summary>
    /// Starts the relay on the loop, from a loop thread (<see cref="HandshakeLoop.OnLoopThread"/>), for a session that
    /// is <see cref="ClientConnection.Detached"/>: when it ends it tells the session
    /// (<see cref="ClientConnection.RelayEnded"/>), which closes <paramref name="destination"/> and ends. False when the
    /// epoll set refused a socket: then nothing has moved and the caller relays its own way.
    /// </summary>
    public static bool TryStart(ClientConnection connection, Socket destination, RelayMode mode, int copyBufferSize, TimeSpan idleTimeout, TimeProvider time, CancellationToken shutdown)
    {
        var relay = new LoopRelay(connection, destination, mode == RelayMode.Copy || !SplicePipePool.IsSupported, copyBufferSize, idleTimeout, time);
        return relay.Start(shutdown);
    }

    private bool Start(CancellationToken shutdown)
    {
        // This thread holds the run until the first one is over: a report that comes as soon as a socket is in the
        // set only leaves its bits for it.
        _running = 1;
        _shutdown = shutdown;
        _lastActivity = _time.GetTimestamp(); // before the slot is taken: the idle sweep may look at once
        _client.SafeHandle.DangerousAddRef(ref _clientReferenced);
        _destination.SafeHandle.DangerousAddRef(ref _destinationReferenced);
        _clientFd = (int)_client.SafeHandle.DangerousGetHandle();
        _destinationFd = (int)_destination.SafeHandle.DangerousGetHandle();

        // Both are non-blocking after the loop's handshake and connect, and .NET knows it (accepted from the non-blocking
        // listener, Blocking = false before the connect): no fcntl to ask. One .NET has not been told of may still block.
        if (_client.Blocking)
        {
            LinuxSplice.MakeNonBlocking(_client);
        }

        if (_destination.Blocking)
        {
            LinuxSplice.MakeNonBlocking(_destination);
        }

        (_slot, var generation) = HandshakeLoop.Register(this);
        Generation = generation;
        bool clientIn = Control(_clientFd, generation);
        if (!clientIn || !Control(_destinationFd, generation | 1))
        {
            // Out of kernel memory or max_user_watches: nothing has moved, the caller relays another way.
            if (clientIn)
            {
                _ = LinuxEpoll.Control(HandshakeLoop.Epoll, LinuxEpoll.EPOLL_CTL_DEL, _clientFd, 0, 0);
            }

            HandshakeLoop.Unregister(_slot);
            ReleaseHandles();
            return false;
        }

        Interlocked.Increment(ref _started);
        LoopRelaySweep.Cover(_idleTimeout);
        _stopOnShutdown = shutdown.UnsafeRegister(static state => ((LoopRelay)state!).Stop(), this);

        // The first run moves nothing (the registrations report what is waiting) but finishes a relay stopped already.
        RunHeld();
        return true;
    }

    /// <summary>
    /// Registers (or, after the handshake's one-shot waits, re-registers) a socket edge-triggered, for writability too
    /// once <paramref name="writable"/>. Re-registering a socket that is still ready makes the kernel report it again.
    /// </summary>
    private bool Control(int fd, uint generation, bool writable = false)
    {
        ulong data = HandshakeLoop.DataFor(_slot, generation);
        uint events = writable ? Interest | LinuxEpoll.EPOLLOUT : Interest;
        // Modified first: the handshake's and the connect's one-shot waits left both sockets in the set, disarmed.
        int result = LinuxEpoll.Control(HandshakeLoop.Epoll, LinuxEpoll.EPOLL_CTL_MOD, fd, events, data);
        if (result != 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == LinuxEpoll.ENOENT)
        {
            result = LinuxEpoll.Control(HandshakeLoop.Epoll, LinuxEpoll.EPOLL_CTL_ADD, fd, events, data);
        }

        return result == 0;
    }

    /// <summary>A send to the client (or the destination) found it full: from now on its writability is reported too.</summary>
    private void WatchWritable(bool destination)
    {
        ref bool watching = ref destination ? ref _destinationWatchesWrite : ref _clientWatchesWrite;
        if (!watching)
        {
            watching = true;
            if (!Control(destination ? _destinationFd : _clientFd, destination ? Generation | 1 : Generation, writable: true))
            {
                // The set refused the change (out of memory): without the report this direction would wait forever.
                Fail(destination ? RelaySide.Destination : RelaySide.Client);
            }
        }
    }

    /// <summary>On a loop thread: one of the two sockets reported; the relay runs unless a run is under way.</summary>
    internal override bool Ready(uint generation, uint events)
    {
        if ((generation & ~1u) != Generation)
        {
            return false;
        }

        bool destination = (generation & 1) != 0;
        int bits = 0;
        if ((events & ReadableEvents) != 0)
        {
            bits |= destination ? DestinationReadable : ClientReadable;
        }

        if ((events & WritableEvents) != 0)
        {
            bits |= destination ? DestinationWritable : ClientWritable;
        }

        if ((events & HangUpEvents) != 0)
        {
            bits |= destination ? DestinationHungUp : ClientHungUp;
        }

        _ = Interlocked.Or(ref _pending, bits);
        TryRun();
        return true;
    }

    private void TryRun()
    {
        if (Interlocked.CompareExchange(ref _running, 1, 0) == 0)
        {
            RunHeld();
        }
    }

    /// <summary>Runs while reports keep coming in, holding the run; gives it up when none is left (never, once finished).</summary>
    private void RunHeld()
    {
        while (true)
        {
            int bits = Interlocked.Exchange(ref _pending, 0);
            bool finished;
            try
            {
                finished = Run(bits);
            }
            catch (Exception e)
            {
                // A bug, not a socket's doing (those are results, not exceptions): this session ends, said in the
                // diagnostic log, and the loop thread, which serves every other session, goes on.
                _record.EndReason ??= "internal error";
                Logging.ServerLog.SessionCrashed(_connection.Context.Logger, _record.Id, e);
                Interlocked.Exchange(ref _stopped, 1);
                TcpRelay.ShutdownBoth(_client);
                TcpRelay.ShutdownBoth(_destination);
                Finish();
                finished = true;
            }

            if (finished)
            {
                return;
            }

            Volatile.Write(ref _running, 0);
            if (Volatile.Read(ref _pending) == 0 || Interlocked.CompareExchange(ref _running, 1, 0) != 0)
            {
                return;
            }
        }
    }

    /// <summary>One run: takes in the reports, moves what can move both ways. True once the relay is finished.</summary>
    private bool Run(int bits)
    {
        _clientCanRead |= (bits & ClientReadable) != 0;
        _clientCanWrite |= (bits & ClientWritable) != 0;
        _destinationCanRead |= (bits & DestinationReadable) != 0;
        _destinationCanWrite |= (bits & DestinationWritable) != 0;
        _clientHungUp |= (bits & ClientHungUp) != 0;
        _destinationHungUp |= (bits & DestinationHungUp) != 0;

        bool turnLeft = true;
        if (!Stopped)
        {
            long budget = BytesPerTurn;
            turnLeft = Pump(ref _up, upstream: true, ref budget);
            turnLeft &= Pump(ref _down, upstream: false, ref budget);
        }

        if (Stopped || (_up.Done && _down.Done))
        {
            Finish();
            return true;
        }

        if (!turnLeft)
        {
            // The turn is over with bytes still waiting: re-armed, a socket still ready is reported again, after
            // the events other sockets have waiting.
            _ = Control(_clientFd, Generation, _clientWatchesWrite);
            _ = Control(_destinationFd, Generation | 1, _destinationWatchesWrite);
        }

        return false;
    }

    private bool Stopped => Volatile.Read(ref _stopped) != 0 || _shutdown.IsCancellationRequested;

    /// <summary><paramref name="side"/> failed: the first failure decides the result, and the relay stops.</summary>
    private void Fail(RelaySide side)
    {
        if (!Stopped)
        {
            Interlocked.CompareExchange(ref _firstFailure, (int)side, (int)RelaySide.None);
        }

        Stop();
    }

    /// <summary>
    /// Ends both directions: shutdown(SHUT_RDWR) of both sockets (the peers see the end at once, as with
    /// <see cref="TcpRelay"/>), then a run that finishes the relay. From a timer or a token's callback that run is on
    /// the calling thread, unless a loop thread is running the relay already.
    /// </summary>
    private void Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        TcpRelay.ShutdownBoth(_client);
        TcpRelay.ShutdownBoth(_destination);
        _ = Interlocked.Or(ref _pending, StopRequested);
        TryRun();
    }

    /// <summary>On the sweep's timer thread: idle for the timeout, the relay stops.</summary>
    internal override void Sweep()
    {
        if (_time.GetElapsedTime(Volatile.Read(ref _lastActivity)) >= _idleTimeout)
        {
            Volatile.Write(ref _idleExpired, true);
            Stop();
        }
    }

    /// <summary>A byte came in: the idle timeout starts again.</summary>
    private void Touch() => Volatile.Write(ref _lastActivity, _time.GetTimestamp());

    /// <summary>
    /// Both directions are finished (or the relay stopped): pipes and buffers back, the timer and the token let go,
    /// the slot freed (reports still queued for it are dropped), the descriptors' references released; then the
    /// session goes on, on this thread. The sockets stay registered until their owners close them, which removes them.
    /// </summary>
    private void Finish()
    {
        if (_finished)
        {
            return;
        }

        _finished = true;
        _up.Release();
        _down.Release();
        _stopOnShutdown.Dispose();
        HandshakeLoop.Unregister(_slot);
        ReleaseHandles();
        var end = TcpRelay.Result(Volatile.Read(ref _firstFailure), Volatile.Read(ref _idleExpired), _shutdown.IsCancellationRequested);
        try
        {
            _connection.RelayEnded(Sessions.Steps.RelayStep.Describe(end), _destination);
        }
        catch (Exception e)
        {
            // The session's end failed (a bug): said once, and the loop thread goes on serving the others.
            Logging.ServerLog.SessionCrashed(_connection.Context.Logger, _record.Id, e);
        }
    }

    private void ReleaseHandles()
    {
        if (_clientReferenced)
        {
            _clientReferenced = false;
            _client.SafeHandle.DangerousRelease();
        }

        if (_destinationReferenced)
        {
            _destinationReferenced = false;
            _destination.SafeHandle.DangerousRelease();
        }
    }
}
