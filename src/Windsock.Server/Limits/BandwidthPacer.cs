namespace Windsock.Server.Limits;

/// <summary>
/// One direction of a bandwidth-limited session: the buckets it draws from (its user's, its rule's),
/// each shared with the other sessions of that user or rule. Moving bytes takes from all of them; the
/// relay then waits for the slowest to be back in credit, so every limit holds.
/// </summary>
public sealed class BandwidthPacer
{
    private readonly List<TokenBucket> _buckets = [];

    /// <summary>The lowest rate among the buckets, bytes per second.</summary>
    public double Rate => _buckets.Min(b => b.Rate);

    internal BandwidthPacer With(TokenBucket bucket)
    {
        _buckets.Add(bucket);
        return this;
    }

    /// <summary>
    /// How much the relay may read at once: an eighth of a second at the lowest rate, so one read never makes
    /// the session wait more than about that, and a stopped relay is never stuck in a long wait.
    /// </summary>
    public int ChunkSize(int bufferSize) => (int)Math.Clamp(Rate / 8, 1024, bufferSize);

    /// <summary>Takes <paramref name="bytes"/> from every bucket; returns how long to wait before moving more.</summary>
    public TimeSpan Take(int bytes)
    {
        var wait = TimeSpan.Zero;
        foreach (var bucket in _buckets)
        {
            var own = bucket.Reserve(bytes);
            if (own > wait)
            {
                wait = own;
            }
        }

        return wait;
    }
}
