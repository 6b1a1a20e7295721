using System.Net;
using System.Net.Sockets;

namespace Windsock.Server.Limits;

/// <summary>
/// Who a per-client limit counts: an IPv4 address, or an IPv6 /64. A single IPv6 host is usually
/// handed a whole /64 and may pick any address in it, so counting IPv6 per address would give one
/// client 2^64 separate allowances. IPv4-mapped IPv6 addresses count as their IPv4 address.
/// </summary>
public readonly record struct SourceKey
{
    private const int Ipv6PrefixLength = 64;

    private SourceKey(IPAddress address, bool isPrefix)
    {
        Address = address;
        IsPrefix = isPrefix;
    }

    /// <summary>The IPv4 address, or the IPv6 /64 network's first address.</summary>
    public IPAddress Address { get; }

    /// <summary>True for an IPv6 /64.</summary>
    public bool IsPrefix { get; }

    public static SourceKey From(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            return new SourceKey(address.MapToIPv4(), isPrefix: false);
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return new SourceKey(address, isPrefix: false);
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[(Ipv6PrefixLength / 8)..].Clear();
        return new SourceKey(new IPAddress(bytes), isPrefix: true);
    }

    /// <summary>As the logs write it: <c>192.0.2.7</c> or <c>2001:db8:1:2::/64</c>.</summary>
    public override string ToString() => IsPrefix ? $"{Address}/{Ipv6PrefixLength}" : Address.ToString();
}
