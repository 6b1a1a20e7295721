namespace Windsock.Server.Configuration.Sections;

/// <summary><c>[ident]</c>: RFC 1413 checks of SOCKS4 user ids, their timeout and port, and the notify hooks.</summary>
internal static class IdentSection
{
    public static ConfigSection Schema { get; } = new(ConfigSchema.Ident,
    [
        new("mode", static (r, key, _, e, o) => r.ReadIdentMode(key, e.Value) is { } mode ? o with { IdentMode = mode } : null),
        new("timeout", static (r, key, name, e, o) => r.ReadDuration(key, name, e.Value) is { } d ? o with { IdentTimeout = d } : null),
        new("port", static (r, key, _, e, o) => r.ReadInteger(key, e.Value, 1, 65535, "a TCP port, normally 113") is { } port ? o with { IdentPort = (int)port } : null),
        new("on_unreachable", static (r, key, _, e, o) => r.ReadHook(key, e.Value) is { } hook ? o with { IdentUnreachableHook = hook } : null),
        new("on_mismatch", static (r, key, _, e, o) => r.ReadHook(key, e.Value) is { } hook ? o with { IdentMismatchHook = hook } : null),
    ]);
}
