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

    /// <summary>Cores the server used over the measured window (1.0 = one core), when its processes were given.</summary>
    public double? ServerCores { get; init; }

    /// <summary>Cores this bench process used over the measured window: the harness's own cost.</summary>
    public double BenchCores { get; init; }

    /// <summary>The server's CPU time per connection served, in microseconds: cores used divided by the rate.</summary>
    public double? ServerMicrosecondsPerConnection => ServerCores is double cores && ConnectionsPerSecond > 0 ? cores * 1e6 / ConnectionsPerSecond : null;
}
