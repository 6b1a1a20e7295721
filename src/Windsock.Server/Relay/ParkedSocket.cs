using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;

namespace Windsock.Server.Relay;

/// <summary>
/// One relay direction's wait for its source socket to become readable, through <see cref="ReadinessWaits"/>'
/// epoll set: the whole of what an idle direction holds besides its pump. Reused for every wait of the direction
/// (a <see cref="ValueTask{TResult}"/> over this source), so a wake allocates nothing.
/// <para>
/// The socket's handle is referenced from the first wait until <see cref="Dispose"/>, so its descriptor cannot be
/// closed and its number reused while the epoll set knows it; <see cref="Dispose"/> removes it from the set.
/// One wait at a time: the direction's pump awaits each before arming the next.
/// </para>
/// </summary>
internal sealed class ParkedSocket : IValueTaskSource<int>, IDisposable
{
    private const uint WaitEvents = LinuxEpoll.EPOLLIN | LinuxEpoll.EPOLLRDHUP | LinuxEpoll.EPOLLONESHOT;

    private readonly SafeHandle _handle;
    private ManualResetValueTaskSourceCore<int> _core = new() { RunContinuationsAsynchronously = true };
    private GCHandle _self;
    private bool _referenced;
    private bool _registered;
    private bool _refused;
    private bool _waitedBefore;
    private long _lastWaitStarted;
    private IThreadPoolWorkItem? _wake;

    private ParkedSocket(Socket socket)
    {
        _handle = socket.SafeHandle;

        // A parked direction is first read by the pump itself, not by a .NET receive, and .NET sets O_NONBLOCK
        // only at a socket's first asynchronous operation (BIND's accepted peer never had one).
        LinuxSplice.MakeNonBlocking(socket);
    }

    /// <summary>A parking place for <paramref name="socket"/>'s waits, or null where waits must stay .NET receives (not Linux).</summary>
    public static ParkedSocket? For(Socket socket) => ReadinessWaits.IsAvailable ? new ParkedSocket(socket) : null;

    /// <summary>
    /// Whether the wait starting now should park. A direction that started its last wait less than
    /// <see cref="BusyWindow"/> ago is moving data: its waits stay zero-byte receives, as cheap as before on the
    /// relay's hot path (parking costs an epoll_ctl and a wake of the readiness thread per burst). The first wait
    /// parks (a session idle from the start holds no receive at all), and so does the first after a quiet spell.
    /// </summary>
    public bool ShouldPark(TimeProvider time)
    {
        long now = time.GetTimestamp();
        bool park = !_waitedBefore || time.GetElapsedTime(_lastWaitStarted, now) >= BusyWindow;
        _waitedBefore = true;
        _lastWaitStarted = now;
        return park;
    }

    /// <summary>How recent a direction's last wait must be for it to count as busy.</summary>
    internal static TimeSpan BusyWindow { get; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Arms the wait; <paramref name="wait"/> completes once the socket is readable, at its end of stream, failed
    /// or shut down. False when the epoll set refused the socket: the caller waits its own way (and every later call
    /// says false at once).
    /// </summary>
    /// <exception cref="ObjectDisposedException">The socket was closed.</exception>
    public bool TryWait(out ValueTask<int> wait)
    {
        wait = default;
        _wake = null;
        if (!TryArm())
        {
            return false;
        }

        wait = new ValueTask<int>(this, _core.Version);
        return true;
    }

    /// <summary>
    /// Arms the wait with no one awaiting it: once the socket is readable (at its end, failed, shut down)
    /// <paramref name="wake"/> runs on the thread pool. What a pump does to hold nothing but this object while idle
    /// (<see cref="SplicePump"/>). False as for <see cref="TryWait"/>.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The socket was closed.</exception>
    public bool TryWaitThenRun(IThreadPoolWorkItem wake)
    {
        _wake = wake;
        if (TryArm())
        {
            return true;
        }

        _wake = null;
        return false;
    }

    private bool TryArm()
    {
        if (_refused)
        {
            return false;
        }

        if (!_referenced)
        {
            _handle.DangerousAddRef(ref _referenced);
            _self = GCHandle.Alloc(this);
        }

        // Before arming: the report may come on the epoll thread before epoll_ctl even returns here.
        _core.Reset();
        int fd = (int)_handle.DangerousGetHandle();
        ulong data = (ulong)GCHandle.ToIntPtr(_self);
        ReadinessWaits.Armed();

        // Registered before the call: once it succeeds, a wake may run the pump (and its Dispose) on another thread
        // before this one returns, so nothing here is written after it.
        bool wasRegistered = _registered;
        _registered = true;
        int result = LinuxEpoll.Control(ReadinessWaits.Epoll, wasRegistered ? LinuxEpoll.EPOLL_CTL_MOD : LinuxEpoll.EPOLL_CTL_ADD, fd, WaitEvents, data);
        if (result != 0 && !wasRegistered && Marshal.GetLastPInvokeError() == LinuxEpoll.EEXIST)
        {
            result = LinuxEpoll.Control(ReadinessWaits.Epoll, LinuxEpoll.EPOLL_CTL_MOD, fd, WaitEvents, data);
        }

        if (result != 0)
        {
            // ENOMEM, or max_user_watches reached: this direction waits with .NET receives from now on.
            _registered = wasRegistered;
            ReadinessWaits.Disarmed();
            _refused = true;
            return false;
        }

        return true;
    }

    /// <summary>The epoll thread saw the socket ready: the pump goes on, on the thread pool.</summary>
    internal void Ready()
    {
        if (_wake is { } wake)
        {
            ThreadPool.UnsafeQueueUserWorkItem(wake, preferLocal: false);
        }
        else
        {
            _core.SetResult(0);
        }
    }

    public void Dispose()
    {
        if (_registered)
        {
            _registered = false;
            _ = LinuxEpoll.Control(ReadinessWaits.Epoll, LinuxEpoll.EPOLL_CTL_DEL, (int)_handle.DangerousGetHandle(), 0, 0);
        }

        if (_self.IsAllocated)
        {
            _self.Free();
        }

        if (_referenced)
        {
            _referenced = false;
            _handle.DangerousRelease();
        }
    }

    int IValueTaskSource<int>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
