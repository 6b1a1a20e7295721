namespace Windsock.Server.Configuration;

/// <summary>
/// The <c>[ping]</c> section: per-session limits of PING and TRACEROUTE (NEC's X'80' / X'81'), which
/// send real ICMP and UDP probes from the proxy host. Requests beyond them are refused with a reason.
/// </summary>
public sealed record PingOptions
{
    public static PingOptions Default { get; } = new();

    /// <summary>Probes per second one session may send; a ping interval below 1/max_rate is refused.</summary>
    public int MaxRate { get; init; } = 10;

    /// <summary>Probes one ping session may send (a count above it is refused; "until stopped" ends there).</summary>
    public int MaxCount { get; init; } = 100;

    /// <summary>Probe sessions one user (or, unauthenticated, one client address) may run at once.</summary>
    public int MaxSessionsPerUser { get; init; } = 4;

    /// <summary>The largest ICMP data size a ping may ask for.</summary>
    public int MaxSize { get; init; } = 1472;
}
