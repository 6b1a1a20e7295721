namespace Windsock.Server.Configuration.Sections;

/// <summary>
/// <c>[access]</c>: what a request no rule matches gets, and the denial hooks (docs/policy.md). Read with the
/// <c>[[rule]]</c> tables (ConfigReader.Rules.cs), since the defaults complete the rule set.
/// </summary>
internal static class AccessSection
{
    public static ConfigSection Schema { get; } = new(ConfigSchema.Access,
    [
        new("default_reply", static (r, _, name, e, o) => r.ApplyAccess(o, name, e)),
        new("default_log", static (r, _, name, e, o) => r.ApplyAccess(o, name, e)),
        new("notify_denied", static (r, _, name, e, o) => r.ApplyAccess(o, name, e)),
    ]);
}
