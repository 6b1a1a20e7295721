namespace Windsock.Server.Configuration.Sections;

/// <summary><c>[udp]</c>: UDP ASSOCIATE's announced address, idle timeout and relay ports (docs/bind-and-udp.md).</summary>
internal static class UdpSection
{
    public static ConfigSection Schema { get; } = new(ConfigSchema.Udp,
    [
        new("advertised_address", static (r, key, _, e, o) => r.ReadAdvertisedAddress(key, e.Value) is { } address ? o with { Udp = o.Udp with { AdvertisedAddress = address } } : null),
        new("idle_timeout", static (r, key, name, e, o) => r.ReadDuration(key, name, e.Value) is { } d ? o with { Udp = o.Udp with { IdleTimeout = d } } : null),
        new("port_range", static (r, key, _, e, o) => r.ReadPortRange(key, e.Value) is { } ports ? o with { Udp = o.Udp with { PortRange = ports } } : null),
    ]);
}
