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

    public override string ToString() => string.Join(", ", _networks);
}
