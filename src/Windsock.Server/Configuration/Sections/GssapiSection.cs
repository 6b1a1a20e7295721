namespace Windsock.Server.Configuration.Sections;

/// <summary><c>[gssapi]</c>: keytab, service principal, accepted protection levels (docs/gssapi.md; ConfigReader.Gssapi.cs).</summary>
internal static class GssapiSection
{
    public static ConfigSection Schema { get; } = new(ConfigSchema.Gssapi,
    [
        new("keytab", static (r, _, name, e, o) => r.ApplyGssapi(o, name, e)),
        new("service_principal", static (r, _, name, e, o) => r.ApplyGssapi(o, name, e)),
        new("protection", static (r, _, name, e, o) => r.ApplyGssapi(o, name, e)),
    ]);
}
