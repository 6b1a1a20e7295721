using System.Net;
using Windsock.Server.Limits;

namespace Windsock.Server.Authentication;

/// <summary>
/// Bounds the password hashes (PBKDF2, about 0.1 s of CPU each) that run at once, so that a flood of
/// logins cannot take every core from the relays. Waiters queue per source and are served round-robin:
/// a source with a hundred attempts queued gets one slot in turn like a source with one, so a login
/// from elsewhere waits for at most the hashes already running, not for the flood. The queue and the
/// wait are bounded: past either the attempt is refused (as a failed login) rather than held.
/// </summary>
/// <remarks>One process-wide instance (<see cref="Shared"/>): CPU is per process, and a reload must not double it.</remarks>
public sealed class PasswordHashingQueue
{
    /// <summary>How long an attempt waits for a slot before it is refused.</summary>
    public static readonly TimeSpan DefaultMaxWait = TimeSpan.FromSeconds(5);

    private static readonly Lazy<PasswordHashingQueue> LazyShared = new(() => new PasswordHashingQueue(DefaultSlots, TimeProvider.System));

    private readonly TimeProvider _time;
    private readonly TimeSpan _maxWait;
    private readonly object _gate = new();
    private readonly Dictionary<SourceKey, Queue<TaskCompletionSource>> _waiting = [];
    private readonly LinkedList<SourceKey> _turns = new();
    private int _running;
    private int _queued;

    public PasswordHashingQueue(int slots, TimeProvider time, TimeSpan? maxWait = null, int? maxQueued = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        ArgumentNullException.ThrowIfNull(time);
        Slots = slots;
        _time = time;
        _maxWait = maxWait ?? DefaultMaxWait;
        MaxQueued = maxQueued ?? slots * 64;
    }

    /// <summary>Half the processors (at least one, at most eight): the other half stays with the relays during a flood.</summary>
    public static int DefaultSlots => Math.Clamp(Environment.ProcessorCount / 2, 1, 8);

    public static PasswordHashingQueue Shared => LazyShared.Value;

    public int Slots { get; }

    /// <summary>How long an attempt waits for a slot before it is refused.</summary>
    public TimeSpan MaxWait => _maxWait;

    /// <summary>Attempts that may wait at once; one more is refused at once.</summary>
    public int MaxQueued { get; }

    /// <summary>Why a login found no slot, for the diagnostic log; <paramref name="what"/> names the slots.</summary>
    public string BusyDetail(string what) =>
        $"{what} busy: none of its {Slots} slots free within {MaxWait.TotalSeconds:0.#}s, or {MaxQueued} logins already waiting";

    /// <summary>
    /// Waits for a slot. Null when refused (the queue is full, or no slot came within the maximum wait);
    /// otherwise a lease that frees the slot when disposed.
    /// </summary>
    public async ValueTask<IDisposable?> EnterAsync(IPAddress client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var source = SourceKey.From(client);
        TaskCompletionSource turn;
        lock (_gate)
        {
            if (_running < Slots && _queued == 0)
            {
                _running++;
                return new Lease(this);
            }

            if (_queued >= MaxQueued)
            {
                return null;
            }

            turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_waiting.TryGetValue(source, out var queue))
            {
                queue = new Queue<TaskCompletionSource>();
                _waiting[source] = queue;
                _turns.AddLast(source);
            }

            queue.Enqueue(turn);
            _queued++;
        }

        try
        {
            await turn.Task.WaitAsync(_maxWait, _time, cancellationToken).ConfigureAwait(false);
            return new Lease(this);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            lock (_gate)
            {
                if (!turn.Task.IsCompleted)
                {
                    Withdraw(source, turn);
                    if (e is OperationCanceledException)
                    {
                        throw;
                    }

                    return null;
                }
            }

            // Granted in the same moment the wait ended: the slot is ours and must go back.
            Release();
            if (e is OperationCanceledException)
            {
                throw;
            }

            return null;
        }
    }

    private void Withdraw(SourceKey source, TaskCompletionSource turn)
    {
        var queue = _waiting[source];
        var rest = new Queue<TaskCompletionSource>(queue.Where(waiter => waiter != turn));
        _queued -= queue.Count - rest.Count;
        if (rest.Count == 0)
        {
            _waiting.Remove(source);
            _turns.Remove(source);
        }
        else
        {
            _waiting[source] = rest;
        }
    }

    /// <summary>Hands the slot to the next source in turn, or frees it.</summary>
    private void Release()
    {
        lock (_gate)
        {
            if (_turns.First is not { } first)
            {
                _running--;
                return;
            }

            var source = first.Value;
            var queue = _waiting[source];
            var next = queue.Dequeue();
            _queued--;
            _turns.RemoveFirst();
            if (queue.Count == 0)
            {
                _waiting.Remove(source);
            }
            else
            {
                _turns.AddLast(source); // its next attempt waits behind every other source's
            }

            next.SetResult();
        }
    }

    private sealed class Lease(PasswordHashingQueue owner) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner.Release();
            }
        }
    }
}
