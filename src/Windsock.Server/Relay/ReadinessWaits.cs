using System.Runtime.InteropServices;
using Windsock.Server.Loops;

namespace Windsock.Server.Relay;

/// <summary>
/// One epoll set and one thread (<see cref="EpollThread"/>) for every relay direction waiting for its source to become
/// readable (Linux).
/// <para>
/// Why: a direction waiting with a zero-byte <c>ReceiveAsync</c> keeps a .NET receive operation pending for as
/// long as the session is idle, with its cancellation registration and the pump's state machines behind it.
/// Parked here, a direction costs an epoll entry in the kernel and its <see cref="ParkedSocket"/>: at thousands of
/// idle sessions that is most of what a session holds (docs/benchmarks.md, "Idle sessions").
/// </para>
/// <para>
/// Each wait is armed with <c>EPOLLONESHOT</c>: the kernel reports it once and then ignores the socket until the
/// next wait re-arms it, so a busy direction, which is not waiting, costs this thread nothing. Readable, a FIN, an
/// error or a <c>shutdown(2)</c> of the socket (how a relay is stopped) all end the wait; the pump then finds out
/// which with its next non-blocking call, exactly as after a zero-byte receive. The thread only completes waits: the
/// pumps continue on the thread pool.
/// </para>
/// </summary>
internal static class ReadinessWaits
{
    private static readonly Lock Gate = new();
    private static int _epoll = -1;
    private static int _state; // 0 not started, 1 running, -1 unavailable (not Linux, or epoll refused)
    private static long _parked;

    /// <summary>
    /// For tests only: when true, new relays wait with the zero-byte receive as on other systems (the fallback path
    /// stays tested on Linux too).
    /// </summary>
    internal static bool Disabled { get; set; }

    /// <summary>Directions waiting here right now (armed and not yet reported): what tests and the memory note count.</summary>
    internal static long Parked => Interlocked.Read(ref _parked);

    /// <summary>True when waits can go through the epoll set (Linux, started on first use).</summary>
    public static bool IsAvailable
    {
        get
        {
            if (Disabled)
            {
                return false;
            }

            int state = Volatile.Read(ref _state);
            return state == 1 || (state == 0 && Start());
        }
    }

    /// <summary>The epoll set's descriptor, for <see cref="ParkedSocket"/>'s epoll_ctl calls.</summary>
    public static int Epoll => _epoll;

    public static void Armed() => Interlocked.Increment(ref _parked);

    /// <summary>An armed wait that the epoll set refused after all.</summary>
    public static void Disarmed() => Interlocked.Decrement(ref _parked);

    private static bool Start()
    {
        lock (Gate)
        {
            if (_state != 0)
            {
                return _state == 1;
            }

            // The state stays 0 until the set works or is known not to: a relay asking meanwhile waits on the lock
            // for the answer rather than taking a "no" that was only "not yet".
            var loop = EpollThread.TryStart("windsock relay readiness", Ready);
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

    /// <summary>On the epoll thread: a parked direction's socket is readable (at its end, failed, shut down).</summary>
    private static void Ready(ulong data)
    {
        if (GCHandle.FromIntPtr((nint)data).Target is ParkedSocket parked)
        {
            Interlocked.Decrement(ref _parked);
            parked.Ready();
        }
    }
}
