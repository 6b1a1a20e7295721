using System.Collections.Concurrent;
using System.Net.Sockets;
using Windsock.Server.Relay;

namespace Windsock.Server.Loops;

/// <summary>
/// One epoll set and one thread for the UDP associations' sockets (Linux): when a socket becomes readable the
/// thread calls its <see cref="IDatagramReadable"/>, which receives and, for a datagram whose verdict is kept,
/// sends it on right there with non-blocking calls.
/// <para>
/// Why: a datagram received with <c>ReceiveFromAsync</c> is seen by the socket engine's epoll thread and then
/// handled on a thread-pool worker, a hand-off per datagram whose wake-ups (and the workers' spinning after it)
/// cost several times the relaying itself (docs/benchmarks.md, "The UDP hot path"). Here a datagram costs an
/// epoll_wait shared with every socket ready at once, one recvfrom and one sendto, on one thread.
/// </para>
/// <para>
/// Sockets are registered level-triggered: a datagram left queued is reported again, so a socket is read once per
/// report (fair between busy associations, and no recvfrom that only finds the queue empty). An association that
/// hands a datagram to the async path (names, GSSAPI, a full send buffer) pauses its sockets here until that is
/// done. The thread blocks on epoll_wait and nothing else; a target's exception is that target's, never the loop's.
/// </para>
/// </summary>
internal static class DatagramLoop
{
    // The largest UDP payload plus room in front for a SOCKS header: the loop's one receive buffer.
    private const int BufferSize = 65535 + 512;

    private static readonly Lock Gate = new();
    private static readonly ConcurrentDictionary<ulong, IDatagramReadable> Targets = new();
    private static EpollThread? _loop;

    // The loop thread's one receive buffer (only that thread uses it).
    private static byte[] _buffer = [];
    private static int _state; // 0 not started, 1 running, -1 unavailable (not Linux, or epoll refused)
    private static long _nextId;
    private static long _handled;
    private static long _handedOff;
    private static long _targetFailures;

    /// <summary>For tests only: when true, new associations use the async receive loops, as on other systems.</summary>
    internal static bool Disabled { get; set; }

    /// <summary>Datagrams received and dealt with entirely on the loop's thread (tests prove the path with it).</summary>
    internal static long Handled => Interlocked.Read(ref _handled);

    /// <summary>Datagrams the loop received and handed to an association's async path.</summary>
    internal static long HandedOff => Interlocked.Read(ref _handedOff);

    /// <summary>Exceptions a target threw out of <see cref="IDatagramReadable.OnReadable"/> (each ended that target's association).</summary>
    internal static long TargetFailures => Interlocked.Read(ref _targetFailures);

    /// <summary>True when sockets can be registered (Linux, started on first use).</summary>
    public static bool IsAvailable => !Disabled && (Volatile.Read(ref _state) == 1 || Start());

    public static void CountHandled() => Interlocked.Increment(ref _handled);

    public static void CountHandedOff() => Interlocked.Increment(ref _handedOff);

    /// <summary>Watches <paramref name="socket"/> for <paramref name="target"/>; the registration's id, or 0 when epoll refused it.</summary>
    public static ulong Register(Socket socket, IDatagramReadable target)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ulong id = (ulong)Interlocked.Increment(ref _nextId);
        Targets[id] = target;
        if (LinuxEpoll.Control(_loop!.Epoll, LinuxEpoll.EPOLL_CTL_ADD, Descriptor(socket), LinuxEpoll.EPOLLIN, id) < 0)
        {
            Targets.TryRemove(id, out _);
            return 0;
        }

        return id;
    }

    /// <summary>Stops (<paramref name="watch"/> false) or resumes reporting the socket; false when epoll refused.</summary>
    public static bool Watch(Socket socket, ulong id, bool watch)
    {
        ArgumentNullException.ThrowIfNull(socket);
        return LinuxEpoll.Control(_loop!.Epoll, LinuxEpoll.EPOLL_CTL_MOD, Descriptor(socket), watch ? LinuxEpoll.EPOLLIN : 0, id) == 0;
    }

    /// <summary>
    /// Forgets the registration; call before the socket is closed. A report already taken from the set for it may
    /// still reach the target: targets ignore reports once they are closed.
    /// </summary>
    public static void Unregister(Socket socket, ulong id)
    {
        ArgumentNullException.ThrowIfNull(socket);
        _ = LinuxEpoll.Control(_loop!.Epoll, LinuxEpoll.EPOLL_CTL_DEL, Descriptor(socket), 0, 0);
        Targets.TryRemove(id, out _);
    }

    private static int Descriptor(Socket socket) => (int)socket.SafeHandle.DangerousGetHandle();

    private static bool Start()
    {
        lock (Gate)
        {
            if (_state != 0)
            {
                return _state == 1;
            }

            // The state stays 0 until the set works or is known not to: an association asking meanwhile waits on the
            // lock for the answer rather than taking a "no" that was only "not yet".
            // The buffer first: the thread may report a socket as soon as one is registered, never before it starts.
            _buffer = OperatingSystem.IsLinux() ? GC.AllocateUninitializedArray<byte>(BufferSize, pinned: true) : [];
            _loop = EpollThread.TryStart("windsock udp loop", Dispatch);
            Volatile.Write(ref _state, _loop is null ? -1 : 1);
            return _loop is not null;
        }
    }

    /// <summary>On the loop's thread: one reported socket.</summary>
    private static void Dispatch(ulong id)
    {
        if (!Targets.TryGetValue(id, out var target))
        {
            return; // unregistered after the report was taken from the set
        }

        try
        {
            target.OnReadable(_buffer);
        }
#pragma warning disable CA1031 // one association's fault must not end every other's relaying
        catch (Exception e)
#pragma warning restore CA1031
        {
            Interlocked.Increment(ref _targetFailures);
            target.Fail(e);
        }
    }
}
