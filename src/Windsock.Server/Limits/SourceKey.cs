using System.Net;
using System.Net.Sockets;

namespace Windsock.Server.Limits;

/// <summary>
/// Who a per-client limit counts: by default an IPv4 address, or an IPv6 /64. A single IPv6 host is usually
/// handed a whole /64 and may pick any address in it, so counting IPv6 per address would give one
/// client 2^64 separate allowances. IPv4-mapped IPv6 addresses count as their IPv4 address. A site
/// may count wider networks (<c>source_prefix_ipv4 = 24</c>) for the session and connection-rate limits.
/// </summary>
public readonly record struct SourceKey
{
    /// <summary>The default IPv6 grouping: one /64 is one client.</summary>
    public const int DefaultIPv6Prefix = 64;

    private SourceKey(IPAddress address, int prefixLength, bool isPrefix)
    {
        Address = address;
        PrefixLength = prefixLength;
        IsPrefix = isPrefix;
    }

    /// <summary>The IPv4 address, or the network's first address.</summary>
    public IPAddress Address { get; }

    /// <summary>The prefix length counted as one source (32 or 128 for a single address).</summary>
    public int PrefixLength { get; }

    /// <summary>True when the key stands for a network rather than one address.</summary>
    public bool IsPrefix { get; }

    public static SourceKey From(IPAddress address) => From(address, 32, DefaultIPv6Prefix);

    /// <summary>The source of <paramref name="address"/> with IPv4 grouped by <paramref name="ipv4Prefix"/> bits, IPv6 by <paramref name="ipv6Prefix"/>.</summary>
    public static SourceKey From(IPAddress address, int ipv4Prefix, int ipv6Prefix)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        bool v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        int bits = v6 ? 128 : 32;
        int prefix = Math.Clamp(v6 ? ipv6Prefix : ipv4Prefix, 0, bits);
        if (prefix == bits)
        {
            return new SourceKey(v6 && address.ScopeId != 0 ? new IPAddress(address.GetAddressBytes()) : address, prefix, isPrefix: false);
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out int length);
        bytes = bytes[..length];
        int whole = prefix / 8;
        if (whole < length)
        {
            bytes[whole] &= (byte)(0xFF << (8 - (prefix % 8)));
            bytes[(whole + 1)..].Clear();
        }

        return new SourceKey(new IPAddress(bytes), prefix, isPrefix: true);
    }

    /// <summary>As the logs write it: <c>192.0.2.7</c>, <c>192.0.2.0/24</c> or <c>2001:db8:1:2::/64</c>.</summary>
    public override string ToString() => IsPrefix ? $"{Address}/{PrefixLength}" : Address.ToString();
}
