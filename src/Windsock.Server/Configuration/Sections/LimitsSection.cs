namespace Windsock.Server.Configuration.Sections;

/// <summary>
/// <c>[limits]</c>: how many sessions at once (overall, per user, per source, per rule), new connections per
/// second per source, UDP datagrams per second per association, bandwidth per user and per rule each way, and
/// the per-client caps that hold before authentication (docs/configuration.md#limits).
/// </summary>
internal static class LimitsSection
{
    private const long MaxSessions = 10_000_000;
    private const double MaxRate = 10_000_000;

    public static ConfigSection Schema { get; } = new(ConfigSchema.Limits,
    [
        new("sessions", static (r, key, _, e, o) => Count(r, key, e) is { } n ? With(o, o.Limits with { Sessions = n }) : null),
        new("sessions_per_user", static (r, key, _, e, o) => Count(r, key, e) is { } n ? With(o, o.Limits with { SessionsPerUser = n }) : null),
        new("sessions_per_source", static (r, key, _, e, o) => Count(r, key, e) is { } n ? With(o, o.Limits with { SessionsPerSource = n }) : null),
        new("sessions_per_rule", static (r, key, _, e, o) => Count(r, key, e) is { } n ? With(o, o.Limits with { SessionsPerRule = n }) : null),
        new("connections_per_second_per_source", static (r, key, _, e, o) =>
            r.ReadRate(key, e.Value, MaxRate) is { } rate ? With(o, o.Limits with { ConnectionsPerSecondPerSource = rate }) : null),
        new("connection_burst_per_source", static (r, key, _, e, o) => Count(r, key, e) is { } n ? With(o, o.Limits with { ConnectionBurstPerSource = n }) : null),
        new("udp_datagrams_per_second", static (r, key, _, e, o) =>
            r.ReadRate(key, e.Value, MaxRate) is { } rate ? With(o, o.Limits with { UdpDatagramsPerSecond = rate }) : null),
        new("bandwidth_per_user_up", static (r, key, _, e, o) => r.ReadBandwidth(key, e.Value) is { } b ? With(o, o.Limits with { BandwidthPerUserUp = b }) : null),
        new("bandwidth_per_user_down", static (r, key, _, e, o) => r.ReadBandwidth(key, e.Value) is { } b ? With(o, o.Limits with { BandwidthPerUserDown = b }) : null),
        new("bandwidth_per_rule_up", static (r, key, _, e, o) => r.ReadBandwidth(key, e.Value) is { } b ? With(o, o.Limits with { BandwidthPerRuleUp = b }) : null),
        new("bandwidth_per_rule_down", static (r, key, _, e, o) => r.ReadBandwidth(key, e.Value) is { } b ? With(o, o.Limits with { BandwidthPerRuleDown = b }) : null),
        new("source_prefix_ipv4", static (r, key, _, e, o) =>
            r.ReadInteger(key, e.Value, 8, 32, "prefix bits, e.g. 24") is { } p ? With(o, o.Limits with { SourcePrefixIPv4 = (int)p }) : null),
        new("source_prefix_ipv6", static (r, key, _, e, o) =>
            r.ReadInteger(key, e.Value, 32, 128, "prefix bits, e.g. 64") is { } p ? With(o, o.Limits with { SourcePrefixIPv6 = (int)p }) : null),
        new("unauthenticated_per_source", static (r, key, _, e, o) =>
            r.ReadInteger(key, e.Value, 1, 1_000_000, "sessions, e.g. 256") is { } n ? With(o, o.Limits with { UnauthenticatedPerSource = (int)n }) : null),
        new("bind_per_source", static (r, key, _, e, o) =>
            r.ReadInteger(key, e.Value, 1, 60_000, "listeners, e.g. 32") is { } n ? With(o, o.Limits with { BindPerSource = (int)n }) : null),
        new("gssapi_token_unauthenticated", static (r, key, _, e, o) =>
            r.ReadInteger(key, e.Value, ClientLimits.MinUnauthenticatedGssapiToken, ClientLimits.MaxUnauthenticatedGssapiToken, "bytes, e.g. 32764")
                is { } n ? With(o, o.Limits with { GssapiTokenUnauthenticated = (int)n }) : null),
        new("login_free_failures_per_source", static (r, key, _, e, o) =>
            r.ReadInteger(key, e.Value, 1, 1_000_000, "failures, e.g. 10") is { } n ? With(o, o.Limits with { Logins = o.Limits.Logins with { FreeFailuresPerSource = (int)n } }) : null),
        new("login_free_failures_per_user", static (r, key, _, e, o) =>
            r.ReadInteger(key, e.Value, 1, 1_000_000, "failures, e.g. 5") is { } n ? With(o, o.Limits with { Logins = o.Limits.Logins with { FreeFailuresPerUser = (int)n } }) : null),
        new("login_max_delay", static (r, key, name, e, o) =>
            r.ReadDuration(key, name, e.Value) is { } d ? With(o, o.Limits with { Logins = o.Limits.Logins with { MaxDelay = d } }) : null),
    ]);

    private static int? Count(ConfigReader reader, string key, TomlEntry entry) =>
        (int?)reader.ReadInteger(key, entry.Value, 1, MaxSessions, "sessions, e.g. 100");

    private static ServerOptions With(ServerOptions options, ClientLimits limits) => options with { Limits = limits };
}
