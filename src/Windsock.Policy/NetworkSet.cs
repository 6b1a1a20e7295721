using System.Net;

namespace Windsock.Policy;

/// <summary>
/// A list of networks that answers "is this address in any of them". IPv4-mapped IPv6 addresses
/// (::ffff:a.b.c.d, as dual-stack sockets report IPv4 peers) are compared as the IPv4 address they carry,
/// so that a rule written as 10.0.0.0/8 holds however the listener was bound.
/// </summary>
public sealed class NetworkSet
{
    private readonly IPNetwork[] _networks;

    public NetworkSet(IEnumerable<IPNetwork> networks)
    {
        ArgumentNullException.ThrowIfNull(networks);
        _networks = [.. networks];
    }

    public IReadOnlyList<IPNetwork> Networks => _networks;

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

    /// <summary>True when every network lies inside loopback (127.0.0.0/8 or ::1).</summary>
    public bool IsLoopbackOnly => _networks.All(IsLoopbackNetwork);

    public static bool IsLoopbackNetwork(IPNetwork network) =>
        network.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
            ? network.PrefixLength >= 8 && IPNetwork.Parse("127.0.0.0/8").Contains(network.BaseAddress)
            : network.PrefixLength == 128 && IPAddress.IsLoopback(network.BaseAddress);

    public override string ToString() => string.Join(", ", _networks);
}
