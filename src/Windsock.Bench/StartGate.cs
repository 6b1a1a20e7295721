using System.Diagnostics;

namespace Windsock.Bench;

/// <summary>
/// Shared start gate of a rate load: hands out operation slots until the window closes or the
/// count runs out, and says whether a slot falls in the measured part (after the warm-up).
/// </summary>
public sealed class StartGate(long measureFrom, long measureUntil, long maxOperations)
{
    private long _started;
    private long _lastStart;

    public long MeasureFrom { get; } = measureFrom;

    public long LastStart => Interlocked.Read(ref _lastStart);

    public bool StoppedByCount { get; private set; }

    public bool TryStart(out long timestamp, out bool measured)
    {
        timestamp = Stopwatch.GetTimestamp();
        measured = timestamp >= MeasureFrom;
        if (timestamp >= measureUntil)
        {
            return false;
        }

        if (Interlocked.Increment(ref _started) > maxOperations)
        {
            StoppedByCount = true;
            return false;
        }

        if (measured)
        {
            InterlockedMax(ref _lastStart, timestamp);
        }

        return true;
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long current = Interlocked.Read(ref target);
        while (value > current)
        {
            long seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
