namespace Windsock.Bench;

/// <summary>
/// What one idle-session run saw: how many CONNECTed sessions opened, how many the proxy dropped
/// while they sat idle, how many still carried a byte at the end, and (with pids) the proxy's
/// memory before, with all sessions open, and after they closed.
/// </summary>
public sealed record IdleResult(
    int Sessions,
    int Opened,
    int Failed,
    int Dropped,
    int AliveAtEnd,
    double OpenSeconds,
    double HoldSeconds,
    ulong? FileLimit,
    MemorySample? Before,
    MemorySample? Held,
    MemorySample? AfterClose,
    string? FirstError)
{
    /// <summary>Growth of the proxy's RSS per open session, in KiB.</summary>
    public double? RssPerSessionKiB => Before is null || Held is null || Opened == 0 ? null : (Held.RssKiB - Before.RssKiB) / (double)Opened;

    /// <summary>Growth of the proxy's PSS per open session, in KiB.</summary>
    public double? PssPerSessionKiB => Before?.PssKiB is long before && Held?.PssKiB is long held && Opened > 0 ? (held - before) / (double)Opened : null;
}
