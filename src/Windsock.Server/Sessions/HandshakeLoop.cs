using System.Runtime.CompilerServices;
using Windsock.Server.Loops;

namespace Windsock.Server.Sessions;

/// <summary>
/// The readiness loop handshakes continue on (Linux): one epoll set and a thread per core (at most four, or
/// <see cref="LoopThreads"/>) waiting on it. A session tries its socket without blocking (<see cref="LoopNative.ReceiveNow(System.Runtime.InteropServices.SafeHandle, Span{byte})"/>, a non-blocking connect);
/// when the socket is not ready it arms a one-shot wait here (<see cref="LoopWait"/>), and the thread that sees it
/// ready runs the session's continuation <b>inline</b>, up to its next wait.
/// <para>
/// Why: through the .NET socket engine, every wait that completes later is a hand-off from the engine's epoll thread
/// to a thread-pool worker, about eight per connection, and the pool's workers spin for that work: most of a short
/// connection's CPU (docs/benchmarks.md, "The cost of a connection"). Here a wait costs an epoll_ctl and the wake of a
/// thread blocked in epoll_wait, and the session goes on where it woke.
/// </para>
/// <para>
/// What runs on these threads must never block or take long: every step that may (PAM and password checks, GSSAPI,
/// ident, name lookups, upstream routes, limits that wait, the relay itself) first leaves with
/// <see cref="LeaveAsync"/>, which goes on on the thread pool. Everything else here is parsing, the decision and
/// non-blocking system calls. Where epoll is unavailable (not Linux, or the set refused) sessions wait through .NET as
/// before.
/// </para>
/// </summary>
internal static class HandshakeLoop
{
    private static readonly Lock Gate = new();
    private static int _epoll = -1;
    private static int _state; // 0 not started, 1 running, -1 unavailable

    // Waiters by slot; an event's data is (generation << 32 | slot), so an event for a waiter already gone (its slot
    // freed or reused) is told apart and dropped instead of waking someone else.
    private static LoopHandler?[] _slots = new LoopHandler?[256];
    private static int[] _freeSlots = new int[256];
    private static int _freeCount;
    private static int _slotsUsed;
    private static uint _nextGeneration;

    private static long _continued;

    [ThreadStatic]
    private static bool _onLoop;

    // Waits armed during a report's run (or a RunInline), armed in the epoll set only once that run is over. Armed at
    // once, a wait could be reported on another loop thread while the awaits above it were still being registered on
    // this one; the runtime then queues the late continuation to the thread pool, and that session went on, and
    // relayed, off the loop (one in a hundred of 150 sessions at once on a loaded machine).
    [ThreadStatic]
    private static int _deferring;

    [ThreadStatic]
    private static LoopWait?[]? _deferred;

    [ThreadStatic]
    private static int _deferredCount;

    /// <summary>
    /// On by default (Linux); <c>WINDSOCK_HANDSHAKE_LOOP=0</c> in the server's environment, read at start, turns it off,
    /// and every session then waits through the .NET socket engine and relays on the thread pool. Until the relay ran
    /// on the loop too (<see cref="Relay.LoopRelay"/>) this was opt-in: the relay's own hand-offs to the pool made the
    /// loop cost more CPU per connection than the engine (docs/benchmarks.md, "The handshake loop"); with the whole
    /// session on the loop it costs less than half (docs/benchmarks.md, "The whole session on the loop").
    /// </summary>
    internal static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("WINDSOCK_HANDSHAKE_LOOP") != "0";

    /// <summary>For tests only: when true, new sessions wait through the .NET socket engine as on other systems.</summary>
    internal static bool Disabled { get; set; }

    /// <summary>Waits completed on a loop thread, their session continuing there: what tests count to see the loop taken.</summary>
    internal static long Continued => Interlocked.Read(ref _continued);

    /// <summary>True on one of the loop's threads.</summary>
    public static bool OnLoopThread => _onLoop;

    /// <summary>True when handshakes can wait here (Linux, started on first use).</summary>
    public static bool IsAvailable
    {
        get
        {
            if (Disabled || !Enabled)
            {
                return false;
            }

            int state = Volatile.Read(ref _state);
            return state == 1 || (state == 0 && Start());
        }
    }

    internal static int Epoll => _epoll;

    /// <summary>
    /// Leaves the loop for the thread pool before a step that may block or take long; a no-op anywhere else. Every
    /// such step awaits this first, so one slow PAM module or identd stalls its own session only.
    /// </summary>
    public static LeaveAwaitable LeaveAsync() => default;

    /// <summary>
    /// Starts <paramref name="run"/> on this thread as if it were a loop thread (the accept loop starting a session
    /// whose greeting may already be there): up to its first wait it is held to the loop's rules, so a step that may
    /// block leaves this thread as it would leave the loop.
    /// </summary>
    public static Task RunInline(Func<CancellationToken, Task> run, CancellationToken cancellationToken)
    {
        bool was = _onLoop;
        _onLoop = true;
        _deferring++;
        try
        {
            return run(cancellationToken);
        }
        finally
        {
            _onLoop = was;
            EndDeferring();
        }
    }

    /// <summary>True inside a report's run or a <see cref="RunInline"/>: a wait armed now is armed when it is over.</summary>
    internal static bool DefersArming => _deferring > 0;

    /// <summary>Keeps <paramref name="wait"/> to be armed when this thread's run is over.</summary>
    internal static void DeferArm(LoopWait wait)
    {
        var deferred = _deferred ??= new LoopWait?[4];
        if (_deferredCount == deferred.Length)
        {
            Array.Resize(ref _deferred, deferred.Length * 2);
            deferred = _deferred;
        }

        deferred[_deferredCount++] = wait;
    }

    /// <summary>Leaves a deferring run; the outermost arms what it kept.</summary>
    private static void EndDeferring()
    {
        if (_deferring > 1)
        {
            _deferring--;
            return;
        }

        // Still deferring while arming: a wait a refused arm's caller asks for joins this same list.
        for (int i = 0; i < _deferredCount; i++)
        {
            var wait = _deferred![i]!;
            _deferred[i] = null;
            wait.Arm();
        }

        _deferredCount = 0;
        _deferring = 0;
    }

    internal static (int Slot, uint Generation) Register(LoopHandler handler)
    {
        lock (Gate)
        {
            int slot;
            if (_freeCount > 0)
            {
                slot = _freeSlots[--_freeCount];
            }
            else
            {
                if (_slotsUsed == _slots.Length)
                {
                    var larger = new LoopHandler?[_slots.Length * 2];
                    _slots.CopyTo(larger, 0);
                    Volatile.Write(ref _slots, larger);
                    Array.Resize(ref _freeSlots, larger.Length);
                }

                slot = _slotsUsed++;
            }

            // Even: a handler with two sockets (a relay) registers the second with the lowest bit set.
            _nextGeneration += 2;
            uint generation = _nextGeneration;
            _slots[slot] = handler;
            return (slot, generation);
        }
    }

    internal static void Unregister(int slot)
    {
        lock (Gate)
        {
            _slots[slot] = null;
            _freeSlots[_freeCount++] = slot;
        }
    }

    /// <summary>Every handler registered now checks its idle timeout (a handler registered or leaving meanwhile may be missed or seen once more).</summary>
    internal static void Sweep()
    {
        var slots = Volatile.Read(ref _slots);
        for (int i = 0; i < slots.Length; i++)
        {
            Volatile.Read(ref slots[i])?.Sweep();
        }
    }

    internal static ulong DataFor(int slot, uint generation) => ((ulong)generation << 32) | (uint)slot;

    private static bool Start()
    {
        lock (Gate)
        {
            if (_state != 0)
            {
                return _state == 1;
            }

            // Several threads on one set: the kernel wakes one of them per ready event, so handshakes use every core
            // as microsocks' thread per client does, without a thread per client. The sessions' continuations run on
            // these threads: a normal stack, not the dispatching loops' small one.
            var loop = EpollThread.TryStart(
                "windsock handshake loop", OnEvent, LoopThreads.Resolve(Environment.GetEnvironmentVariable(LoopThreads.Variable), Environment.ProcessorCount), smallStack: false, onThreadStart: static () => _onLoop = true);
            if (loop is null)
            {
                Volatile.Write(ref _state, -1);
                return false;
            }

            _epoll = loop.Epoll;
            Volatile.Write(ref _state, 1);
            return true;
        }
    }

    private static void OnEvent(ulong data, uint events)
    {
        int slot = (int)(uint)data;
        var slots = Volatile.Read(ref _slots);
        _deferring++;
        try
        {
            if (slot < slots.Length && Volatile.Read(ref slots[slot]) is { } handler && handler.Ready((uint)(data >> 32), events))
            {
                Interlocked.Increment(ref _continued);
            }
        }
        finally
        {
            EndDeferring();
        }
    }

    /// <summary>What <see cref="LeaveAsync"/> returns: completed off the loop, a hop to the thread pool on it.</summary>
    internal readonly struct LeaveAwaitable : ICriticalNotifyCompletion
    {
        public LeaveAwaitable GetAwaiter() => this;

        public bool IsCompleted => !_onLoop;

        public void GetResult()
        {
        }

        public void OnCompleted(Action continuation) =>
            ThreadPool.QueueUserWorkItem(static run => run(), continuation, preferLocal: false);

        public void UnsafeOnCompleted(Action continuation) =>
            ThreadPool.UnsafeQueueUserWorkItem(static run => run(), continuation, preferLocal: false);
    }
}
