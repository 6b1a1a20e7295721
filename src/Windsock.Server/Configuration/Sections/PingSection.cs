namespace Windsock.Server.Configuration.Sections;

/// <summary><c>[ping]</c>: limits of PING and TRACEROUTE sessions (docs/configuration.md#ping).</summary>
internal static class PingSection
{
    public static ConfigSection Schema { get; } = new(ConfigSchema.Ping,
    [
        new("max_rate", static (r, key, _, e, o) => r.ReadInteger(key, e.Value, 1, 1000, "probes per second") is { } v ? o with { Ping = o.Ping with { MaxRate = (int)v } } : null),
        new("max_count", static (r, key, _, e, o) => r.ReadInteger(key, e.Value, 1, 100_000, "probes") is { } v ? o with { Ping = o.Ping with { MaxCount = (int)v } } : null),
        new("max_sessions_per_user", static (r, key, _, e, o) => r.ReadInteger(key, e.Value, 1, 10_000, "sessions") is { } v ? o with { Ping = o.Ping with { MaxSessionsPerUser = (int)v } } : null),
        new("max_size", static (r, key, _, e, o) => r.ReadInteger(key, e.Value, 0, 65_000, "bytes") is { } v ? o with { Ping = o.Ping with { MaxSize = (int)v } } : null),
    ]);
}
