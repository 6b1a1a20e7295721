using System.Runtime.InteropServices;

namespace Windsock.Server.Relay;

/// <summary>
/// One epoll set and one thread for every relay direction waiting for its source to become readable (Linux).
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
    private const int EventsPerWait = 256;

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
            int epoll = OperatingSystem.IsLinux() ? LinuxEpoll.Create() : -1;
            if (epoll < 0)
            {
                Volatile.Write(ref _state, -1);
                return false;
            }

            _epoll = epoll;

            // Small stack: the loop holds only the event buffer (native) and a few locals.
            var thread = new Thread(Run, maxStackSize: 256 * 1024)
            {
                IsBackground = true,
                Name = "windsock relay readiness",
            };
            thread.UnsafeStart();
            Volatile.Write(ref _state, 1);
            return true;
        }
    }

    private static unsafe void Run()
    {
        byte* events = (byte*)NativeMemory.Alloc((nuint)(EventsPerWait * LinuxEpoll.EventSize));
        try
        {
            while (true)
            {
                int count = LinuxEpoll.Wait(_epoll, events, EventsPerWait, -1);
                if (count < 0)
                {
                    if (Marshal.GetLastPInvokeError() == LinuxSplice.EINTR)
                    {
                        continue;
                    }

                    // Cannot happen with a valid set and buffer; keep the waits from hanging forever rather than spin.
                    Thread.Sleep(10);
                    continue;
                }

                for (int i = 0; i < count; i++)
                {
                    var handle = GCHandle.FromIntPtr((nint)LinuxEpoll.DataOf(events, i));
                    if (handle.Target is ParkedSocket parked)
                    {
                        Interlocked.Decrement(ref _parked);
                        parked.Ready();
                    }
                }
            }
        }
        finally
        {
            NativeMemory.Free(events);
        }
    }
}
