using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;
using Windsock.Server.Relay;

namespace Windsock.Server.Sessions;

/// <summary>
/// One socket's waits on the <see cref="HandshakeLoop"/>: readable (the next handshake message) or writable (an
/// outbound connect finished). Reused for every wait of the socket, a <see cref="ValueTask"/> over this source, so a
/// wait allocates nothing. The continuation runs inline on the loop thread that saw the socket ready; a cancellation
/// (the negotiation or connect timeout, shutdown) completes the wait with <see cref="OperationCanceledException"/> on
/// the thread pool instead, so a timer thread never runs a session.
/// <para>
/// The socket's handle is referenced from the first wait until <see cref="Dispose"/>, so its descriptor cannot be
/// closed and its number reused while the epoll set knows it. One wait at a time.
/// </para>
/// </summary>
internal sealed class LoopWait : LoopHandler, IValueTaskSource, IDisposable
{
    public const uint Readable = LinuxEpoll.EPOLLIN | LinuxEpoll.EPOLLRDHUP;
    public const uint Writable = LoopNative.EPOLLOUT;

    private readonly SafeHandle _handle;
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = false };
    private CancellationTokenRegistration _cancellation;
    private int _slot = -1;
    private bool _referenced;
    private bool _registered;
    private bool _refused;
    private bool _mayStillFire;
    private int _armed;
    private uint _events;

    private LoopWait(Socket socket)
    {
        _handle = socket.SafeHandle;
    }

    /// <summary>A wait on the loop for <paramref name="socket"/>, or null where sessions wait through .NET (not Linux, tests).</summary>
    public static LoopWait? For(Socket socket) => HandshakeLoop.IsAvailable ? new LoopWait(socket) : null;

    /// <summary>The descriptor's number, for the non-blocking calls made between waits.</summary>
    public SafeHandle Handle => _handle;

    /// <summary>
    /// Arms a one-shot wait for <paramref name="events"/> (an error or hang-up ends it too). False when the epoll set
    /// refused the socket (ENOMEM, max_user_watches): the caller waits its own way from then on.
    /// </summary>
    public bool TryWait(uint events, CancellationToken cancellationToken, out ValueTask wait)
    {
        wait = default;
        if (_refused)
        {
            return false;
        }

        if (_slot < 0)
        {
            _handle.DangerousAddRef(ref _referenced);
            (_slot, var generation) = HandshakeLoop.Register(this);
            Generation = generation;
        }

        // Reset before arming: the report may come on another loop thread before epoll_ctl even returns.
        _core.Reset();
        var version = _core.Version;
        Volatile.Write(ref _armed, 1);
        _cancellation = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static (self, token) => ((LoopWait)self!).Cancelled(token), this)
            : default;

        _events = events;
        wait = new ValueTask(this, version);
        if (HandshakeLoop.DefersArming)
        {
            // On a loop thread, inside a report's run: armed when that run is over (see HandshakeLoop.DeferArm).
            HandshakeLoop.DeferArm(this);
            return true;
        }

        if (!ArmInSet() && TakeBackRefused())
        {
            wait = default;
            return false;
        }

        return true;
    }

    /// <summary>
    /// The deferred half of <see cref="TryWait"/>, on the loop thread once the run that asked is over. A set that refuses
    /// the socket now completes the wait instead: its caller tries its call again, finds nothing, and is told by
    /// <see cref="TryWait"/> to wait its own way.
    /// </summary>
    internal void Arm()
    {
        if (Volatile.Read(ref _armed) == 0)
        {
            return; // cancelled before it was armed: the cancellation completes it, and nothing is left in the set
        }

        // Held for the call: a cancellation on another thread may meanwhile end the wait and its owner close the socket.
        bool held = false;
        try
        {
            _handle.DangerousAddRef(ref held);
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        bool armed;
        try
        {
            armed = ArmInSet();
        }
        finally
        {
            _handle.DangerousRelease();
        }

        if (!armed && TakeBackRefused())
        {
            _core.SetResult(true);
        }
    }

    /// <summary>
    /// The set refused the socket: the wait is taken back and every later one is refused, so the caller waits its own
    /// way. False when a cancellation took the wait first (it completes it).
    /// </summary>
    private bool TakeBackRefused()
    {
        if (Interlocked.Exchange(ref _armed, 0) != 1)
        {
            return false;
        }

        _cancellation.Dispose();
        _refused = true;
        return true;
    }

    /// <summary>epoll_ctl for the armed wait; false when the set refused it.</summary>
    private bool ArmInSet()
    {
        int fd = (int)_handle.DangerousGetHandle();
        ulong data = HandshakeLoop.DataFor(_slot, Generation);
        uint armed = _events | LinuxEpoll.EPOLLONESHOT;
        int result = LinuxEpoll.Control(HandshakeLoop.Epoll, _registered ? LinuxEpoll.EPOLL_CTL_MOD : LinuxEpoll.EPOLL_CTL_ADD, fd, armed, data);
        if (result != 0 && !_registered && Marshal.GetLastPInvokeError() == LinuxEpoll.EEXIST)
        {
            result = LinuxEpoll.Control(HandshakeLoop.Epoll, LinuxEpoll.EPOLL_CTL_MOD, fd, armed, data);
        }

        if (result != 0)
        {
            return false;
        }

        _registered = true;
        return true;
    }

    /// <summary>A loop thread saw the socket ready: the session goes on, here, inline. False when the wait was cancelled already.</summary>
    internal override bool Ready(uint generation, uint events)
    {
        if (generation != Generation)
        {
            return false;
        }

        if (Interlocked.Exchange(ref _armed, 0) == 0)
        {
            return false;
        }

        _cancellation.Unregister();
        _core.SetResult(true);
        return true;
    }

    private void Cancelled(CancellationToken token)
    {
        if (Interlocked.Exchange(ref _armed, 0) == 1)
        {
            _mayStillFire = true;
            ThreadPool.UnsafeQueueUserWorkItem(
                static state => state.Self._core.SetException(new OperationCanceledException(state.Token)),
                (Self: this, Token: token),
                preferLocal: false);
        }
    }

    /// <summary>
    /// Lets the socket go; call when no wait is pending (the last one completed or was cancelled). A socket whose last
    /// wait was reported stays in the set disarmed (one-shot) until it is closed, which removes it: no epoll_ctl for
    /// that. One whose wait was cancelled is still armed and is taken out.
    /// </summary>
    public void Dispose()
    {
        if (_registered && _mayStillFire)
        {
            _registered = false;
            _ = LinuxEpoll.Control(HandshakeLoop.Epoll, LinuxEpoll.EPOLL_CTL_DEL, (int)_handle.DangerousGetHandle(), 0, 0);
        }

        if (_slot >= 0)
        {
            HandshakeLoop.Unregister(_slot);
            _slot = -1;
        }

        if (_referenced)
        {
            _referenced = false;
            _handle.DangerousRelease();
        }
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
