using System.Runtime.InteropServices;
using Windsock.Server.Relay;

namespace Windsock.Server.Loops;

/// <summary>
/// An epoll set and the one thread that waits on it (Linux), handing the <c>data</c> of each reported event to a
/// callback on that thread (with its <c>events</c> where the loop asks for them). The thread blocks in epoll_wait and nowhere else; the callback must not block either.
/// What a loop of the server needs beyond its own dispatch: the datagram loop, the handshake loop and the relay's
/// readiness waits (<see cref="ReadinessWaits"/>) are built on it. Several threads may wait on one set: the kernel
/// reports each ready event to one of them.
/// </summary>
internal sealed class EpollThread
{
    private const int EventsPerWait = 128;

    private readonly Action<ulong, uint> _onEvent;
    private readonly Action? _onThreadStart;

    private EpollThread(int epoll, Action<ulong, uint> onEvent, Action? onThreadStart)
    {
        Epoll = epoll;
        _onEvent = onEvent;
        _onThreadStart = onThreadStart;
    }

    /// <summary>The set's descriptor, for epoll_ctl.</summary>
    public int Epoll { get; }

    /// <summary>
    /// Creates the set and starts <paramref name="threads"/> threads on it; null where there is no epoll (not Linux, or
    /// the kernel refused). A loop whose callbacks only dispatch takes the small stack; one that runs sessions'
    /// continuations inline asks for a normal one (<paramref name="smallStack"/> false). <paramref name="onThreadStart"/>
    /// runs once on each thread before its first wait (to mark the thread, for example).
    /// </summary>
    public static EpollThread? TryStart(string name, Action<ulong> onEvent, int threads = 1, bool smallStack = true, Action? onThreadStart = null) =>
        TryStart(name, (data, _) => onEvent(data), threads, smallStack, onThreadStart);

    /// <summary>
    /// As <see cref="TryStart(string, Action{ulong}, int, bool, Action?)"/>, the callback also given the event's
    /// <c>events</c> (what an edge-triggered registration needs to know: readable, writable, or both).
    /// </summary>
    public static EpollThread? TryStart(string name, Action<ulong, uint> onEvent, int threads = 1, bool smallStack = true, Action? onThreadStart = null)
    {
        int epoll = OperatingSystem.IsLinux() ? LinuxEpoll.Create() : -1;
        if (epoll < 0)
        {
            return null;
        }

        var loop = new EpollThread(epoll, onEvent, onThreadStart);
        for (int i = 0; i < threads; i++)
        {
            // Small stack: a dispatching loop holds only the event buffer (native) and a few locals.
            var thread = new Thread(loop.Run, maxStackSize: smallStack ? 256 * 1024 : 0)
            {
                IsBackground = true,
                Name = name,
            };
            thread.UnsafeStart();
        }

        return loop;
    }

    private unsafe void Run()
    {
        _onThreadStart?.Invoke();
        byte* events = (byte*)NativeMemory.Alloc((nuint)(EventsPerWait * LinuxEpoll.EventSize));
        try
        {
            while (true)
            {
                int count = LinuxEpoll.Wait(Epoll, events, EventsPerWait, -1);
                if (count < 0)
                {
                    if (Marshal.GetLastPInvokeError() != LinuxSplice.EINTR)
                    {
                        // Cannot happen with a valid set and buffer; keep from spinning rather than end the loop.
                        Thread.Sleep(10);
                    }

                    continue;
                }

                for (int i = 0; i < count; i++)
                {
                    _onEvent(LinuxEpoll.DataOf(events, i), LinuxEpoll.EventsOf(events, i));
                }
            }
        }
        finally
        {
            NativeMemory.Free(events);
        }
    }
}
