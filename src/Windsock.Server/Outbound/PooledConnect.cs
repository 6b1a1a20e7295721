using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace Windsock.Server.Outbound;

/// <summary>
/// An outbound TCP connect through a pooled <see cref="SocketAsyncEventArgs"/>, where the .NET socket engine does the
/// waiting (no handshake loop). <c>Socket.ConnectAsync(EndPoint, CancellationToken)</c> would take the socket's cached
/// receive awaitable and leave it on the socket for its whole life (296 bytes and its 64-byte completion delegate); a
/// spliced destination is never read with <c>ReceiveAsync</c> while it is idle (it is parked in the relay's epoll set),
/// so every idle session would hold it for nothing (docs/benchmarks.md, "Idle sessions, round two").
/// <para>
/// The same outcomes as <c>ConnectAsync</c>: a <see cref="SocketException"/> with the error; when the token fires first,
/// the connect is cancelled by closing the socket (what .NET does too) and <see cref="OperationCanceledException"/> is
/// thrown. An argument goes back to the pool once its connect is over and its token registration gone, so a late
/// cancellation can never reach another socket's connect.
/// </para>
/// </summary>
internal sealed class PooledConnect : SocketAsyncEventArgs, IValueTaskSource
{
    // Enough for the connects in flight at once on a busy server; beyond it an argument is simply dropped.
    private const int PoolLimit = 256;

    private static readonly ConcurrentQueue<PooledConnect> Pool = new();
    private static int _pooled;

    private ManualResetValueTaskSourceCore<bool> _core;
    private CancellationToken _token;
    private CancellationTokenRegistration _registration;

    private PooledConnect()
        : base(unsafeSuppressExecutionContextFlow: true)
    {
    }

    /// <summary>Arguments waiting in the pool (for tests).</summary>
    internal static int Pooled => Volatile.Read(ref _pooled);

    /// <summary>Connects <paramref name="socket"/> to <paramref name="target"/>.</summary>
    public static ValueTask ConnectAsync(Socket socket, IPEndPoint target, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        var args = Rent();
        args.RemoteEndPoint = target;
        args._token = cancellationToken;
        args._core.Reset();
        bool pending;
        try
        {
            pending = socket.ConnectAsync(args);
        }
        catch
        {
            args.Release();
            throw;
        }

        if (!pending)
        {
            // Done at once (a refusal on loopback can be): no continuation, no registration.
            var error = args.SocketError;
            args.Release();
            return error == SocketError.Success ? default : ValueTask.FromException(new SocketException((int)error));
        }

        if (cancellationToken.CanBeCanceled)
        {
            // Stored before anyone can await the connect: GetResult disposes it, waiting for a callback in progress.
            args._registration = cancellationToken.UnsafeRegister(static state => Socket.CancelConnectAsync((SocketAsyncEventArgs)state!), args);
        }

        return new ValueTask(args, args._core.Version);
    }

    protected override void OnCompleted(SocketAsyncEventArgs e) => _core.SetResult(true);

    void IValueTaskSource.GetResult(short token)
    {
        var error = SocketError;
        var cancellation = _token;
        try
        {
            _core.GetResult(token);
        }
        finally
        {
            Release();
        }

        if (error == SocketError.OperationAborted)
        {
            cancellation.ThrowIfCancellationRequested();
        }

        if (error != SocketError.Success)
        {
            throw new SocketException((int)error);
        }
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private static PooledConnect Rent()
    {
        if (Pool.TryDequeue(out var args))
        {
            Interlocked.Decrement(ref _pooled);
            return args;
        }

        return new PooledConnect();
    }

    private void Release()
    {
        _registration.Dispose();
        _registration = default;
        _token = default;
        RemoteEndPoint = null;
        if (Interlocked.Increment(ref _pooled) <= PoolLimit)
        {
            Pool.Enqueue(this);
        }
        else
        {
            Interlocked.Decrement(ref _pooled);
            Dispose();
        }
    }
}
