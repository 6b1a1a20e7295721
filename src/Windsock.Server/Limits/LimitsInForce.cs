using System.Globalization;
using System.Net;
using Windsock.Policy;
using Windsock.Server.Configuration;

namespace Windsock.Server.Limits;

/// <summary>
/// Which <c>[limits]</c> apply to one request, as <c>windsock check</c> shows them: the same keys and the same
/// grouping of sources the server's admission uses (<see cref="ClientGuards.AdmitSession"/>).
/// </summary>
public static class LimitsInForce
{
    /// <param name="limits">The configuration's limits.</param>
    /// <param name="client">The client's address.</param>
    /// <param name="user">The user the rules see; null for anonymous requests.</param>
    /// <param name="rule">The deciding rule as the log names it, when known.</param>
    /// <param name="command">The request's command.</param>
    public static IReadOnlyList<string> Describe(ClientLimits limits, IPAddress client, string? user, string? rule, PolicyCommand command)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var source = SourceKey.From(client, limits.SourcePrefixIPv4, limits.SourcePrefixIPv6);
        var lines = new List<string>();
        void Add(string text) => lines.Add(text);
        string theRule = rule ?? "the deciding rule";
        if (limits.ConnectionsPerSecondPerSource is { } rate)
        {
            Add(Invariant($"connections_per_second_per_source={rate} (burst {limits.ConnectionBurstPerSource ?? Math.Max(1, (int)Math.Ceiling(rate * 2))}) for {source}"));
        }

        Add(Invariant($"unauthenticated_per_source={limits.UnauthenticatedPerSource} for {SourceKey.From(client)} until the request is read"));
        bool held = command is PolicyCommand.Connect or PolicyCommand.Bind or PolicyCommand.UdpAssociate;
        if (held)
        {
            Count("sessions", limits.Sessions, "the server");
            Count("sessions_per_source", limits.SessionsPerSource, source.ToString());
            Count("sessions_per_user", user is null ? null : limits.SessionsPerUser, user ?? "");
            Count("sessions_per_rule", limits.SessionsPerRule, theRule);
        }

        if (command == PolicyCommand.Bind)
        {
            Add(Invariant($"bind_per_source={limits.BindPerSource} for {SourceKey.From(client)}"));
        }

        if (command == PolicyCommand.UdpAssociate && limits.UdpDatagramsPerSecond is { } udp)
        {
            Add(Invariant($"udp_datagrams_per_second={udp} for the association"));
        }

        if (command is PolicyCommand.Connect or PolicyCommand.Bind)
        {
            Bandwidth("bandwidth_per_user_up", user is null ? null : limits.BandwidthPerUserUp, $"{user}'s sessions together");
            Bandwidth("bandwidth_per_user_down", user is null ? null : limits.BandwidthPerUserDown, $"{user}'s sessions together");
            Bandwidth("bandwidth_per_rule_up", limits.BandwidthPerRuleUp, $"{theRule}'s sessions together");
            Bandwidth("bandwidth_per_rule_down", limits.BandwidthPerRuleDown, $"{theRule}'s sessions together");
        }

        if (user is null && (limits.SessionsPerUser is not null || limits.BandwidthPerUserUp is not null || limits.BandwidthPerUserDown is not null))
        {
            Add("(per-user limits do not count this request: it has no user)");
        }

        return lines;

        void Count(string name, int? limit, string who)
        {
            if (limit is { } n)
            {
                Add(Invariant($"{name}={n} at once for {who}"));
            }
        }

        void Bandwidth(string name, long? limit, string who)
        {
            if (limit is { } bytes)
            {
                Add($"{name}={BandwidthSyntax.Format(bytes)} for {who} (a paced copy relay instead of splice)");
            }
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
