namespace Windsock.Server.Configuration.Sections;

/// <summary><c>[bind]</c>: BIND's listening address, ports, peer check and timeout (docs/bind-and-udp.md).</summary>
internal static class BindSection
{
    public static ConfigSection Schema { get; } = new(ConfigSchema.Bind,
    [
        new("address", static (r, key, _, e, o) => r.ReadAddress(key, e.Value) is { } address ? o with { Bind = o.Bind with { Address = address } } : null),
        new("port_range", static (r, key, _, e, o) => r.ReadPortRange(key, e.Value) is { } ports ? o with { Bind = o.Bind with { PortRange = ports } } : null),
        new("peer_check", static (r, key, _, e, o) => r.ReadPeerCheck(key, e.Value) is { } check ? o with { Bind = o.Bind with { PeerCheck = check } } : null),
        new("timeout", static (r, key, name, e, o) => r.ReadDuration(key, name, e.Value) is { } d ? o with { Bind = o.Bind with { Timeout = d } } : null),
    ]);
}
