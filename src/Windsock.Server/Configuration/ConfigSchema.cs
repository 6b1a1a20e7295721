using Windsock.Server.Configuration.Sections;

namespace Windsock.Server.Configuration;

/// <summary>
/// The sections and keys the configuration file may contain, and the limits on their values.
/// Everything not listed here is an error: a misspelt key silently keeping its default is how
/// a proxy ends up more open than its administrator believes. docs/configuration.md mirrors this.
/// </summary>
internal static class ConfigSchema
{
    public const string Server = "server";
    public const string Auth = "auth";
    public const string Ident = "ident";

    public const string Udp = "udp";

    public const string Bind = "bind";

    public const string Access = "access";

    public const string Gssapi = "gssapi";

    public const string Admin = "admin";

    public const string Ping = "ping";

    public const string Limits = "limits";

    public const string Log = "log";

    public const string Outside = "outside";

    /// <summary>The name of the <c>[[route]]</c> array of tables (upstream routes); its keys are <see cref="RouteKeys"/>.</summary>
    public const string Route = "route";

    /// <summary>The keys of one <c>[[route]]</c> table (docs/upstream-routes.md).</summary>
    public static readonly IReadOnlyList<string> RouteKeys = ["name", "chain", "chains", "max_failures", "retry_time"];

    /// <summary>The keys of one hop written as an inline table in a route's chain.</summary>
    public static readonly IReadOnlyList<string> HopKeys = ["url", "password_file"];

    /// <summary>The name of the <c>[[rule]]</c> array of tables; its keys are <see cref="RuleKeys"/>.</summary>
    public const string Rule = "rule";

    /// <summary>Every section with its keys and their readers, in the order of docs/configuration.md.</summary>
    public static readonly IReadOnlyList<ConfigSection> SectionSchemas =
    [
        ServerSection.Schema, AuthSection.Schema, IdentSection.Schema, UdpSection.Schema, BindSection.Schema, AccessSection.Schema, GssapiSection.Schema, AdminSection.Schema,
        PingSection.Schema, LimitsSection.Schema, LogSection.Schema, OutsideSection.Schema,
    ];

    public static readonly IReadOnlyList<string> Sections = [.. SectionSchemas.Select(s => s.Name)];

    /// <summary>The keys of each section, as names; the readers are in <see cref="SectionSchemas"/>.</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> Keys =
        SectionSchemas.ToDictionary(s => s.Name, IReadOnlyList<string> (s) => [.. s.Keys.Select(k => k.Name)], StringComparer.Ordinal);

    /// <summary>The reader of a key <see cref="Keys"/> lists.</summary>
    public static ConfigKey Key(string section, string name) =>
        SectionSchemas.First(s => s.Name == section).Find(name)
        ?? throw new InvalidOperationException($"configuration key {section}.{name} has no reader");

    /// <summary>
    /// The keys of one <c>[[rule]]</c> table (docs/policy.md). Not in <see cref="Keys"/>: a rule is
    /// an entry of an array, located by its header, and its keys are not recorded in the origins.
    /// </summary>
    public static readonly IReadOnlyList<string> RuleKeys =
    [
        "action",
        "name",
        "users",
        "groups",
        "methods",
        "versions",
        "commands",
        "from",
        "from_ports",
        "to",
        "ports",
        "reply",
        "reason",
        "log",
        "notify",
        "ident",
        "via",
        "source",
    ];

    public const int MinRelayBufferSize = 4096;
    public const int MaxRelayBufferSize = 1024 * 1024;

    /// <summary>
    /// Bounds per duration key (section.key). Zero is refused where it would mean "fail at once"; an upper bound
    /// exists so a unit slip ("10h" for "10s") is caught rather than holding sockets for hours.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, (TimeSpan Min, TimeSpan Max)> DurationLimits = new Dictionary<string, (TimeSpan, TimeSpan)>(StringComparer.Ordinal)
    {
        ["server.negotiation_timeout"] = (TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10)),
        ["server.connect_timeout"] = (TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10)),
        ["server.idle_timeout"] = (TimeSpan.FromSeconds(1), TimeSpan.FromDays(7)),
        ["server.shutdown_grace"] = (TimeSpan.Zero, TimeSpan.FromHours(1)),
        ["ident.timeout"] = (TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(60)),
        ["udp.idle_timeout"] = (TimeSpan.FromSeconds(1), TimeSpan.FromDays(1)),
        // bind.timeout: a peer (an FTP server opening its data connection) comes within seconds;
        // a day would keep a port open in the firewall long after anyone cares.
        ["bind.timeout"] = (TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1)),
        ["limits.login_max_delay"] = (TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)),
        // route.retry_time: below a second a dead upstream is hammered; beyond a day it is forgotten.
        ["route.retry_time"] = (TimeSpan.FromSeconds(1), TimeSpan.FromDays(1)),
    };

    /// <summary>The section a key belongs to, for "users_file belongs in [auth]" hints.</summary>
    public static string? SectionOf(string key)
    {
        foreach ((string section, IReadOnlyList<string> keys) in Keys)
        {
            if (keys.Contains(key))
            {
                return section;
            }
        }

        return null;
    }
}
