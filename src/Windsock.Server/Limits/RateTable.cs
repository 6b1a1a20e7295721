namespace Windsock.Server.Limits;

/// <summary>
/// A token bucket per key for rates of events that hold nothing (new connections per source). A bucket
/// that has filled up again says nothing a new one would not, so full buckets are forgotten whenever the
/// table has grown past its last size twice over: memory follows the sources active within the last burst's
/// refill time, not every source that ever came.
/// </summary>
public sealed class RateTable<TKey>(string name, TimeProvider time)
    where TKey : notnull
{
    private const int MinSweepSize = 256;

    private readonly Dictionary<TKey, TokenBucket> _buckets = [];
    private readonly HashSet<TKey> _refused = [];
    private int _sweepAt = MinSweepSize;

    public string Name { get; } = name;

    /// <summary>Keys with a bucket now (tests check that memory stays bounded).</summary>
    public int Count
    {
        get
        {
            lock (_buckets)
            {
                return _buckets.Count;
            }
        }
    }

    /// <summary>
    /// Takes a token for <paramref name="key"/> at <paramref name="rate"/> per second and a bucket of <paramref name="burst"/>;
    /// false when it has none left, with <paramref name="firstRefusal"/> true for the first refusal since the key was last let through.
    /// </summary>
    public bool TryTake(TKey key, double rate, int burst, out bool firstRefusal)
    {
        lock (_buckets)
        {
            if (!_buckets.TryGetValue(key, out var bucket))
            {
                if (_buckets.Count >= _sweepAt)
                {
                    Sweep();
                }

                bucket = new TokenBucket(rate, burst, time);
                _buckets[key] = bucket;
            }
            else if (bucket.Rate != rate || bucket.Capacity != burst)
            {
                bucket.Reconfigure(rate, burst);
            }

            if (bucket.TryTake())
            {
                _refused.Remove(key);
                firstRefusal = false;
                return true;
            }

            firstRefusal = _refused.Add(key);
            return false;
        }
    }

    private void Sweep()
    {
        foreach (var (key, bucket) in _buckets)
        {
            if (bucket.IsFull)
            {
                _buckets.Remove(key);
                _refused.Remove(key);
            }
        }

        _sweepAt = Math.Max(MinSweepSize, _buckets.Count * 2);
    }
}
