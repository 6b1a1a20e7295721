using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace Windsock.Policy;

/// <summary>
/// A list of networks that answers "is this address in any of them". IPv4-mapped IPv6 addresses
/// (::ffff:a.b.c.d, as dual-stack sockets report IPv4 peers) are compared as the IPv4 address they carry,
/// so that a rule written as 10.0.0.0/8 holds however the listener was bound. A mapped network
/// (::ffff:10.0.0.0/104) is likewise kept as the IPv4 network it covers.
/// </summary>
public sealed class NetworkSet
{
    private readonly IPNetwork[] _networks;

    public NetworkSet(IEnumerable<IPNetwork> networks)
    {
        ArgumentNullException.ThrowIfNull(networks);
        _networks = [.. networks.Select(Normalize)];
    }

    public IReadOnlyList<IPNetwork> Networks => _networks;

    public bool IsEmpty => _networks.Length == 0;

    /// <summary>
    /// Parses a list the way a config array holds it, each item "ADDRESS/PREFIX" or a bare address.
    /// On failure <paramref name="errorIndex"/> says which item was wrong, so the loader can point at it.
    /// </summary>
    public static bool TryParse(IEnumerable<string> items, [NotNullWhen(true)] out NetworkSet? set, out int errorIndex, out string? error)
    {
        ArgumentNullException.ThrowIfNull(items);
        set = null;
        errorIndex = -1;
        error = null;
        var networks = new List<IPNetwork>();
        int index = 0;
        foreach (string item in items)
        {
            if (!NetworkSyntax.TryParseNetwork(item, out IPNetwork network, out error))
            {
                errorIndex = index;
                return false;
            }

            networks.Add(network);
            index++;
        }

        set = new NetworkSet(networks);
        return true;
    }

    /// <summary>A comma-separated list: "10.0.0.0/8, 192.0.2.7, 2001:db8::/32".</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out NetworkSet? set, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text.Split(',', StringSplitOptions.TrimEntries), out set, out _, out error);
    }

    public bool Contains(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        foreach (var network in _networks)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The first network that holds the address, for explanations.</summary>
    public bool TryFind(IPAddress address, out IPNetwork network)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        foreach (var candidate in _networks)
        {
            if (candidate.Contains(address))
            {
                network = candidate;
                return true;
            }
        }

        network = default;
        return false;
    }

    public override string ToString() => string.Join(", ", _networks);

    internal static IPNetwork Normalize(IPNetwork network)
    {
        IPAddress baseAddress = network.BaseAddress;
        if (baseAddress.AddressFamily == AddressFamily.InterNetworkV6 && baseAddress.IsIPv4MappedToIPv6 && network.PrefixLength >= 96)
        {
            return new IPNetwork(baseAddress.MapToIPv4(), network.PrefixLength - 96);
        }

        return network;
    }
}
