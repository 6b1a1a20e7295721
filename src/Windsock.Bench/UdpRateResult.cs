namespace Windsock.Bench;

/// <summary>
/// What one UDP run measured: round trips (datagram out through the relay to the echo and back)
/// completed in the window, datagrams lost (no reply within the reply timeout), and the RTT.
/// </summary>
public sealed record UdpRateResult(
    int Concurrency,
    int PayloadSize,
    double Seconds,
    long Succeeded,
    long Lost,
    int WorkersFailed,
    LatencyHistogram Latency,
    string? FirstError)
{
    public double DatagramsPerSecond => Seconds <= 0 ? 0 : Succeeded / Seconds;

    /// <summary>Cores the server used over the measured window (1.0 = one core), when its processes were given.</summary>
    public double? ServerCores { get; init; }

    /// <summary>Cores this bench process (workers and echo) used over the measured window: the harness's own cost.</summary>
    public double BenchCores { get; init; }

    /// <summary>
    /// Bytes the workers' threads allocated while they ran, warm-up included (setup and the summary excluded): zero
    /// when no datagram went wrong, since a round trip allocates nothing.
    /// </summary>
    public long WorkerAllocatedBytes { get; init; }

    /// <summary>The server's CPU time per round trip (two datagrams through it), in microseconds.</summary>
    public double? ServerMicrosecondsPerRoundTrip => ServerCores is double cores && DatagramsPerSecond > 0 ? cores * 1e6 / DatagramsPerSecond : null;

    /// <summary>This bench process's CPU time per round trip, in microseconds: what the client and the echo cost.</summary>
    public double? BenchMicrosecondsPerRoundTrip => DatagramsPerSecond > 0 ? BenchCores * 1e6 / DatagramsPerSecond : null;
}
