namespace Windsock.Server.Limits;

/// <summary>
/// A token bucket per key shared by every session that holds it (the bandwidth of one user or one rule):
/// the bucket lives while at least one session holds it, so all of a user's sessions draw from the same rate.
/// </summary>
public sealed class SharedBuckets<TKey>(TimeProvider time)
    where TKey : notnull
{
    private readonly Dictionary<TKey, (TokenBucket Bucket, int Holders)> _buckets = [];

    /// <summary>Keys with a bucket now.</summary>
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

    /// <summary>The bucket of <paramref name="key"/> at <paramref name="bytesPerSecond"/>; dispose the lease when the session ends.</summary>
    public (TokenBucket Bucket, IDisposable Lease) Acquire(TKey key, long bytesPerSecond)
    {
        // One second's worth may pass at once: short bursts (a page load) go at line speed, the average is held.
        double capacity = bytesPerSecond;
        lock (_buckets)
        {
            if (_buckets.TryGetValue(key, out var entry))
            {
                if (entry.Bucket.Rate != bytesPerSecond)
                {
                    entry.Bucket.Reconfigure(bytesPerSecond, capacity);
                }

                _buckets[key] = entry with { Holders = entry.Holders + 1 };
                return (entry.Bucket, new ReleaseOnce(() => Release(key)));
            }

            var bucket = new TokenBucket(bytesPerSecond, capacity, time);
            _buckets[key] = (bucket, 1);
            return (bucket, new ReleaseOnce(() => Release(key)));
        }
    }

    private void Release(TKey key)
    {
        lock (_buckets)
        {
            var entry = _buckets[key];
            if (entry.Holders == 1)
            {
                _buckets.Remove(key);
            }
            else
            {
                _buckets[key] = entry with { Holders = entry.Holders - 1 };
            }
        }
    }
}
