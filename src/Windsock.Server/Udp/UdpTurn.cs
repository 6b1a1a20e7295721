using System.Threading.Tasks.Sources;

namespace Windsock.Server.Udp;

/// <summary>
/// Takes turns between an association's receive loops (the client side's and one per outside socket: at most
/// three) so that one datagram is handled at a time, without allocating when they meet. They meet often:
/// an echoed reply arrives while the loop that sent the request is still finishing it. A SemaphoreSlim
/// makes a task and a cancellation promise for every such wait; here each loop waits on its own reusable
/// <see cref="Waiter"/>, and the turn is handed straight to it on release.
/// <para>
/// A wait is not cancelled: the holder's work honours the association's token and ends soon when it fires,
/// and the waiter then checks the token itself.
/// </para>
/// </summary>
internal sealed class UdpTurn
{
    private readonly Lock _lock = new();
    private bool _held;
    // Loops in the order they asked; sized for the three loops an association can have, so it never grows.
    private readonly Queue<Waiter> _waiting = new(3);

    /// <summary>Completes when <paramref name="waiter"/>'s loop has the turn; at most one loop waits at a time per waiter.</summary>
    public ValueTask EnterAsync(Waiter waiter)
    {
        ArgumentNullException.ThrowIfNull(waiter);
        lock (_lock)
        {
            if (!_held)
            {
                _held = true;
                return ValueTask.CompletedTask;
            }

            waiter.Reset();
            _waiting.Enqueue(waiter);
            return new ValueTask(waiter, waiter.Version);
        }
    }

    /// <summary>Gives the turn to the loop that waits for it, if any.</summary>
    public void Exit()
    {
        Waiter? next;
        lock (_lock)
        {
            _held = _waiting.TryDequeue(out next);
        }

        next?.Grant();
    }

    /// <summary>One receive loop's wait, reused for each of its waits.</summary>
    public sealed class Waiter : IValueTaskSource
    {
        // Asynchronously: the loop releasing the turn goes back to its own socket instead of running the other's datagram.
        private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };

        internal short Version => _core.Version;

        internal void Reset() => _core.Reset();

        internal void Grant() => _core.SetResult(true);

        void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

        ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

        void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }
}
