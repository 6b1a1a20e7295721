using System.Net;
using System.Net.Sockets;

namespace Windsock.Policy;

/// <summary>
/// The safe default: destinations on the proxy host itself or its link. A client elsewhere that
/// reaches them through the proxy gets what only local users should (admin ports bound to
/// 127.0.0.1, cloud metadata at 169.254.169.254), so for non-loopback clients they are denied
/// unless the deciding rule names such a network explicitly.
/// </summary>
public static class ProtectedDestinations
{
    private static readonly (IPNetwork Range, string What)[] Ranges =
    [
        (IPNetwork.Parse("127.0.0.0/8"), "a loopback address"),
        (IPNetwork.Parse("::1/128"), "a loopback address"),
        (IPNetwork.Parse("169.254.0.0/16"), "a link-local address"),
        (IPNetwork.Parse("fe80::/10"), "a link-local address"),
        // Connecting to 0.0.0.0 or :: reaches the local host on Linux and BSD.
        (IPNetwork.Parse("0.0.0.0/8"), "an unspecified (\"this host\") address"),
        (IPNetwork.Parse("::/128"), "an unspecified (\"this host\") address"),
    ];

    /// <summary>
    /// When the address is protected, the protected range that holds it (a rule must name a network
    /// inside that range to allow it) and a phrase for messages.
    /// </summary>
    public static bool TryClassify(IPAddress address, IReadOnlyCollection<IPAddress> serverAddresses, out IPNetwork range, out string what)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(serverAddresses);
        address = Normalize(address);
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

    /// <summary>Does one of the networks hold the address and lie entirely inside the protected range?</summary>
    public static bool NamesExplicitly(NetworkSet networks, IPAddress address, IPNetwork range)
    {
        ArgumentNullException.ThrowIfNull(networks);
        ArgumentNullException.ThrowIfNull(address);
        address = Normalize(address);
        foreach (IPNetwork network in networks.Networks)
        {
            if (network.Contains(address) && network.PrefixLength >= range.PrefixLength && range.Contains(network.BaseAddress))
            {
                return true;
            }
        }

        return false;
    }

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
