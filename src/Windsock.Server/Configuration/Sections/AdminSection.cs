namespace Windsock.Server.Configuration.Sections;

/// <summary><c>[admin]</c>: the admin listener for metrics and the status API and page (docs/operations.md; ConfigReader.Admin.cs).</summary>
internal static class AdminSection
{
    public static ConfigSection Schema { get; } = new(ConfigSchema.Admin,
    [
        new("listen", static (r, _, name, e, o) => r.ApplyAdmin(o, name, e)),
        new("token_file", static (r, _, name, e, o) => r.ApplyAdmin(o, name, e)),
    ]);
}
