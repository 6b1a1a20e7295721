using Windsock.Server.Metrics;

namespace Windsock.Server.Admin;

/// <summary>What the status page and <c>/api/status</c> show: totals, denials, the busiest users of the open sessions.</summary>
public sealed record StatusSummary(
    DateTimeOffset Started,
    TimeSpan Uptime,
    int SessionsActive,
    long SessionsEnded,
    long Denials,
    long BytesUp,
    long BytesDown,
    IReadOnlyList<KeyValuePair<string, long>> DenialsByRule,
    IReadOnlyList<StatusSummary.UserLoad> TopUsers,
    IReadOnlyList<RecentDenials.Denial> RecentDenials)
{
    /// <summary>How many users the page ranks.</summary>
    public const int TopUserCount = 10;

    public static StatusSummary From(ServerMetrics metrics, IReadOnlyList<LiveSession> live)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(live);
        var now = metrics.Time.GetUtcNow();
        var (up, down) = metrics.RelayedBytes();
        // Over the open sessions only: ranking every user ever seen would keep a table as long as the user list.
        var users = live
            .GroupBy(s => s.Record.User ?? "(none)", StringComparer.Ordinal)
            .Select(g => new UserLoad(g.Key, g.Count(), g.Sum(s => s.Record.BytesUp + s.Record.BytesDown)))
            .OrderByDescending(u => u.Sessions).ThenByDescending(u => u.Bytes).ThenBy(u => u.User, StringComparer.Ordinal)
            .Take(TopUserCount)
            .ToList();
        var byRule = metrics.RecentDenials.ByRule.OrderByDescending(r => r.Value).ThenBy(r => r.Key, StringComparer.Ordinal).ToList();
        return new StatusSummary(metrics.StartedAt, now - metrics.StartedAt, live.Count, metrics.SessionsEnded, metrics.RecentDenials.Total, up, down,
            byRule, users, metrics.RecentDenials.Latest());
    }

    public sealed record UserLoad(string User, int Sessions, long Bytes);
}
