namespace Windsock.Client;

/// <summary>What <see cref="SocksClient.PingAsync"/> asks the proxy for; every value left as it is takes the protocol's default.</summary>
public sealed class SocksPingOptions
{
    /// <summary>Probes to send; 0 (the default) runs until the call's token is cancelled, or the proxy's limit.</summary>
    public int Count { get; init; }

    /// <summary>Time between probes (default 1 s; proxies refuse intervals below their rate limit).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>ICMP data bytes after the 8-byte echo header (default 56, as ping's).</summary>
    public int Size { get; init; } = 56;

    /// <summary>How long one probe waits for its reply; null: the protocol's default, 2 s.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>4 or 6: which addresses of a name the proxy probes; null: the first it resolves that its rules allow.</summary>
    public int? Family { get; init; }
}
