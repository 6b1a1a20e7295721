using System.Net;
using System.Net.Sockets;

namespace Windsock.Server.Configuration;

/// <summary>
/// "Only this host" tests for the open-proxy guard. IPv4-mapped forms (::ffff:127.0.0.1) count,
/// because a dual-stack socket reports IPv4 loopback clients that way.
/// </summary>
internal static class LoopbackAddresses
{
    private static readonly IPNetwork MappedLoopback = IPNetwork.Parse("::ffff:127.0.0.0/104");

    public static bool IsLoopback(IPAddress address) =>
        IPAddress.IsLoopback(address) || (address.IsIPv4MappedToIPv6 && IPAddress.IsLoopback(address.MapToIPv4()));

    /// <summary>True when every address in the network is a loopback address.</summary>
    public static bool IsLoopback(IPNetwork network)
    {
        IPAddress baseAddress = network.BaseAddress;
        if (baseAddress.AddressFamily == AddressFamily.InterNetwork)
        {
            return network.PrefixLength >= 8 && baseAddress.GetAddressBytes()[0] == 127;
        }

        if (network.PrefixLength == 128)
        {
            return IsLoopback(baseAddress);
        }

        return network.PrefixLength >= MappedLoopback.PrefixLength && MappedLoopback.Contains(baseAddress);
    }
}
