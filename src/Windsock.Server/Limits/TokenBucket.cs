namespace Windsock.Server.Limits;

/// <summary>
/// A token bucket: <see cref="Rate"/> tokens per second flow in up to <see cref="Capacity"/>. Two ways to
/// spend: <see cref="TryTake"/> refuses when the bucket is empty (connections, datagrams), and
/// <see cref="Reserve"/> always takes and says how long the caller must wait for the debt to be paid
/// (bytes of a paced relay), so several sessions sharing a bucket share its rate in the order they asked.
/// Time comes from a <see cref="TimeProvider"/>, so tests drive it.
/// </summary>
public sealed class TokenBucket
{
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private double _tokens;
    private long _updated;

    public TokenBucket(double rate, double capacity, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _time = time;
        Rate = rate;
        Capacity = capacity;
        _tokens = capacity;
        _updated = time.GetTimestamp();
    }

    public double Rate { get; private set; }

    public double Capacity { get; private set; }

    /// <summary>A reload changed the limit: the new rate applies from now, what is in the bucket stays (capped).</summary>
    public void Reconfigure(double rate, double capacity)
    {
        lock (_lock)
        {
            Refill();
            Rate = rate;
            Capacity = capacity;
            _tokens = Math.Min(_tokens, capacity);
        }
    }

    /// <summary>True when the bucket is full again: an entry for it can be forgotten without changing anything.</summary>
    public bool IsFull
    {
        get
        {
            lock (_lock)
            {
                Refill();
                return _tokens >= Capacity;
            }
        }
    }

    /// <summary>Takes one token, or none when fewer than one is there.</summary>
    public bool TryTake()
    {
        lock (_lock)
        {
            Refill();
            if (_tokens < 1)
            {
                return false;
            }

            _tokens -= 1;
            return true;
        }
    }

    /// <summary>Takes <paramref name="amount"/> tokens, going into debt if need be; returns the wait until the debt is paid.</summary>
    public TimeSpan Reserve(long amount)
    {
        lock (_lock)
        {
            Refill();
            _tokens -= amount;
            return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / Rate);
        }
    }

    private void Refill()
    {
        long now = _time.GetTimestamp();
        double seconds = _time.GetElapsedTime(_updated, now).TotalSeconds;
        _updated = now;
        _tokens = Math.Min(Capacity, _tokens + (seconds * Rate));
    }
}
