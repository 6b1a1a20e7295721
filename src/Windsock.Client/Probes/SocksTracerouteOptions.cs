namespace Windsock.Client;

/// <summary>What <see cref="SocksClient.TracerouteAsync"/> asks the proxy for; every value left as it is takes the protocol's default.</summary>
public sealed class SocksTracerouteOptions
{
    /// <summary>The largest TTL / hop limit (default 30).</summary>
    public int MaxHops { get; init; } = 30;

    /// <summary>Probes per hop (default 3).</summary>
    public int ProbesPerHop { get; init; } = 3;

    /// <summary>How long one probe waits for its answer; null: the protocol's default, 3 s.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>UDP (default, tracepath-style) or ICMP echo probes.</summary>
    public SocksTraceProbe Probe { get; init; } = SocksTraceProbe.Udp;

    /// <summary>4 or 6: which addresses of a name the proxy probes; null: the first it resolves that its rules allow.</summary>
    public int? Family { get; init; }
}
