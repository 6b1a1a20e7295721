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
}
