using System.Net;
using System.Net.Sockets;

namespace Windsock.Policy;

/// <summary>
/// The safe default: destinations on the proxy host itself or its link, and the addresses no client
/// of a proxy has business with. A client elsewhere that reaches them through the proxy gets what
/// only local users should (admin ports bound to 127.0.0.1, the cloud provider's metadata service
/// with the machine's credentials, every host of a multicast group or of the local broadcast
/// domain), so for non-loopback clients they are denied unless the deciding rule names such a
/// network explicitly. IPv6 forms that carry an IPv4 address (IPv4-compatible, IPv4-translated,
/// NAT64, 6to4; see <see cref="EmbeddedIPv4"/>) are judged as the IPv4 address they carry.
/// </summary>
public static class ProtectedDestinations
{
    private static readonly (IPNetwork Range, string What)[] Ranges =
    [
        (IPNetwork.Parse("127.0.0.0/8"), "a loopback address"),
        (IPNetwork.Parse("::1/128"), "a loopback address"),
        // Holds the metadata services of AWS, Google Cloud, Azure, Oracle, OpenStack (169.254.169.254),
        // Amazon ECS task metadata (169.254.170.2) and Tencent Cloud (169.254.0.23).
        (IPNetwork.Parse("169.254.0.0/16"), "a link-local address"),
        (IPNetwork.Parse("fe80::/10"), "a link-local address"),
        // Connecting to 0.0.0.0 or :: reaches the local host on Linux and BSD.
        (IPNetwork.Parse("0.0.0.0/8"), "an unspecified (\"this host\") address"),
        (IPNetwork.Parse("::/128"), "an unspecified (\"this host\") address"),
        // Every host of the proxy's own link, which a client elsewhere could not address otherwise.
        (IPNetwork.Parse("255.255.255.255/32"), "the limited broadcast address"),
        (IPNetwork.Parse("224.0.0.0/4"), "a multicast address"),
        (IPNetwork.Parse("ff00::/8"), "a multicast address"),
        // Metadata services outside the link-local range: they hand out the machine's credentials.
        (IPNetwork.Parse("fd00:ec2::254/128"), "a cloud metadata address (AWS, IPv6)"),
        (IPNetwork.Parse("fd20:ce::254/128"), "a cloud metadata address (Google Cloud, IPv6)"),
        (IPNetwork.Parse("100.100.100.200/32"), "a cloud metadata address (Alibaba Cloud)"),
        // Azure's platform address (WireServer: the VM agent's goal state, extension settings and certificates).
        (IPNetwork.Parse("168.63.129.16/32"), "a cloud platform address (Azure WireServer)"),
    ];

    /// <summary>
    /// When the address is protected, the protected range that holds it (a rule must name a network
    /// inside that range to allow it) and a phrase for messages. An IPv6 address carrying an IPv4
    /// one is protected when that IPv4 address is, and the range is then the IPv4 range.
    /// </summary>
    public static bool TryClassify(IPAddress address, IReadOnlyCollection<IPAddress> serverAddresses, out IPNetwork range, out string what)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(serverAddresses);
        address = Normalize(address);
        if (TryClassifyPlain(address, serverAddresses, out range, out what))
        {
            return true;
        }

        foreach (var (carried, form) in EmbeddedIPv4.Candidates(address))
        {
            if (TryClassifyPlain(carried, serverAddresses, out range, out what))
            {
                what = $"{what} ({form} carrying {carried})";
                return true;
            }
        }

        return false;
    }

    private static bool TryClassifyPlain(IPAddress address, IReadOnlyCollection<IPAddress> serverAddresses, out IPNetwork range, out string what)
    {
        foreach (var (candidate, phrase) in Ranges)
        {
            if (candidate.Contains(address))
            {
                range = candidate;
                what = phrase;
                return true;
            }
        }

        foreach (IPAddress own in serverAddresses)
        {
            IPAddress normalized = Normalize(own);
            if (normalized.Equals(address))
            {
                range = new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
                what = "an address of the proxy host";
                return true;
            }
        }

        range = default;
        what = string.Empty;
        return false;
    }

    /// <summary>
    /// Does one of the networks hold the address (or the IPv4 address it carries) and lie entirely
    /// inside the protected range?
    /// </summary>
    public static bool NamesExplicitly(NetworkSet networks, IPAddress address, IPNetwork range)
    {
        ArgumentNullException.ThrowIfNull(networks);
        ArgumentNullException.ThrowIfNull(address);
        address = Normalize(address);
        foreach (IPNetwork network in networks.Networks)
        {
            if (Names(network, address, range) || NamesCarrier(network, address, range))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Names(IPNetwork network, IPAddress address, IPNetwork range) =>
        range.Contains(address) && network.Contains(address) && network.PrefixLength >= range.PrefixLength && range.Contains(network.BaseAddress);

    /// <summary>
    /// For an IPv6 address protected for the IPv4 address it carries: the network holds the IPv6
    /// address and is no wider than /(96 + the IPv4 range's length), so that every address in it
    /// carries an address of that range (64:ff9b::7f00:1 or 64:ff9b::7f00:0/104 for loopback
    /// through NAT64; 64:ff9b::/96 names the translator, not what lies behind it).
    /// </summary>
    private static bool NamesCarrier(IPNetwork network, IPAddress address, IPNetwork range) =>
        network.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6
        && network.Contains(address)
        && network.PrefixLength >= 96 + range.PrefixLength
        && EmbeddedIPv4.Candidates(address).Any(c => range.Contains(c.Address));

    public static bool IsLoopback(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return IPAddress.IsLoopback(Normalize(address));
    }

    internal static IPAddress Normalize(IPAddress address)
    {
        address = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0)
        {
            address = new IPAddress(address.GetAddressBytes());
        }

        return address;
    }
}
