using System.Net;
using System.Net.Sockets;
using Tomlyn.Syntax;

namespace Windsock.Server.Configuration.Sections;

/// <summary><c>[outside]</c>: the source address per family towards destinations (docs/configuration.md#outside).</summary>
internal static class OutsideSection
{
    public static ConfigSection Schema { get; } = new(ConfigSchema.Outside,
    [
        new("ipv4", static (r, key, _, e, o) => Read(r, key, e.Value, AddressFamily.InterNetwork) is { } a ? o with { Outside = o.Outside with { IPv4 = a } } : null),
        new("ipv6", static (r, key, _, e, o) => Read(r, key, e.Value, AddressFamily.InterNetworkV6) is { } a ? o with { Outside = o.Outside with { IPv6 = a } } : null),
    ]);

    private static IPAddress? Read(ConfigReader reader, string key, ValueSyntax value, AddressFamily family)
    {
        if (reader.ReadAddress(key, value) is not { } address)
        {
            return null;
        }

        string name = family == AddressFamily.InterNetwork ? "IPv4" : "IPv6";
        if (address.AddressFamily != family)
        {
            reader.InvalidValue(value, $"{key} is {address}, not an {name} address", $"write this host's {name} address towards destinations, or put {address} under the other key");
            return null;
        }

        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
        {
            reader.InvalidValue(value, $"{key} is the unspecified address {address}", "write one of this host's addresses, or remove the key to let the routing table choose");
            return null;
        }

        if (!OutsideAddresses.IsOnThisHost(address))
        {
            reader.InvalidValue(value, $"{key} {address} is not an address of this host", "write an address one of this host's interfaces has (ip -brief address)");
            return null;
        }

        return address;
    }
}
