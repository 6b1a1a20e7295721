namespace Windsock.Bench;

/// <summary>What one connection-rate run measured; latencies cover a whole connection, connect to close.</summary>
public sealed record ConnectionRateResult(
    int Concurrency,
    double Seconds,
    long Succeeded,
    long Failed,
    LatencyHistogram Latency,
    string? FirstError)
{
    public double ConnectionsPerSecond => Seconds <= 0 ? 0 : Succeeded / Seconds;
}
