namespace Windsock.Bench;

/// <summary>What one throughput run measured. Bytes are counted at the sink.</summary>
public sealed record ThroughputResult(
    int Streams,
    int StreamsFailed,
    int BufferSize,
    double Seconds,
    long Bytes,
    string? FirstError)
{
    public double GigabitsPerSecond => Seconds <= 0 ? 0 : Bytes * 8.0 / Seconds / 1e9;
}
