using System.Numerics;

namespace Windsock.Bench;

/// <summary>
/// Log-linear histogram of latencies in microseconds, in the spirit of
/// HdrHistogram: exact below 1024 µs, then 512 sub-buckets per power of
/// two (relative error under 0.2 %) up to about 19 hours. Fixed memory,
/// no allocation per sample; not thread-safe — give each worker its own
/// and <see cref="Add(LatencyHistogram)"/> them at the end.
/// </summary>
public sealed class LatencyHistogram
{
    private const int LinearLimit = 1024;          // 2^10
    private const int SubBucketBits = 9;           // 512 sub-buckets per octave
    private const int SubBuckets = 1 << SubBucketBits;
    private const int MaxExponent = 36;            // 2^36 µs ≈ 19 h
    private const int BucketCount = LinearLimit + ((MaxExponent - 10 + 1) * SubBuckets);

    private readonly long[] _counts = new long[BucketCount];
    private long _sum;

    public long Count { get; private set; }

    public long MinMicroseconds { get; private set; } = long.MaxValue;

    public long MaxMicroseconds { get; private set; }

    public double MeanMicroseconds => Count == 0 ? 0 : (double)_sum / Count;

    public void Record(long microseconds)
    {
        if (microseconds < 0)
        {
            microseconds = 0;
        }

        _counts[IndexOf(microseconds)]++;
        Count++;
        _sum += microseconds;
        MinMicroseconds = Math.Min(MinMicroseconds, microseconds);
        MaxMicroseconds = Math.Max(MaxMicroseconds, microseconds);
    }

    public void Add(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (int i = 0; i < BucketCount; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
        _sum += other._sum;
        MinMicroseconds = Math.Min(MinMicroseconds, other.MinMicroseconds);
        MaxMicroseconds = Math.Max(MaxMicroseconds, other.MaxMicroseconds);
    }

    /// <summary>
    /// The smallest recorded value v such that at least <paramref name="percentile"/> % of
    /// samples are ≤ v (to bucket precision); 0 when empty.
    /// </summary>
    public long Percentile(double percentile)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(percentile, 0.0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percentile, 100.0);
        if (Count == 0)
        {
            return 0;
        }

        long rank = Math.Max(1, (long)Math.Ceiling(percentile / 100.0 * Count));
        long seen = 0;
        for (int i = 0; i < BucketCount; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                if (i == BucketCount - 1)
                {
                    return MaxMicroseconds;   // the overflow bucket has no useful edge
                }

                // Report the bucket's upper edge, clamped to what was really seen.
                return Math.Clamp(UpperBoundOf(i), MinMicroseconds, MaxMicroseconds);
            }
        }

        return MaxMicroseconds;
    }

    private static int IndexOf(long value)
    {
        if (value < LinearLimit)
        {
            return (int)value;
        }

        int exponent = Math.Min(63 - BitOperations.LeadingZeroCount((ulong)value), MaxExponent);
        if (exponent == MaxExponent && value >= (1L << (MaxExponent + 1)))
        {
            return BucketCount - 1;
        }

        int shift = exponent - SubBucketBits;
        int sub = (int)(value >> shift) - SubBuckets;   // 0..511
        return LinearLimit + ((exponent - 10) * SubBuckets) + sub;
    }

    private static long UpperBoundOf(int index)
    {
        if (index < LinearLimit)
        {
            return index;
        }

        int octave = (index - LinearLimit) / SubBuckets;
        int sub = (index - LinearLimit) % SubBuckets;
        int exponent = octave + 10;
        int shift = exponent - SubBucketBits;
        return ((long)(SubBuckets + sub + 1) << shift) - 1;
    }
}
