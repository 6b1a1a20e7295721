using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Numerics;

namespace Windsock.Cli.Run;

/// <summary>
/// The addresses <c>windsock run</c> answers names with, so that a name goes to the proxy as a name
/// (SOCKS5 ATYP 3) and is never looked up locally. Name number N gets the Nth address of both ranges,
/// so an IPv4 and an IPv6 answer map back to the same name. The defaults are inside 198.18.0.0/15
/// (benchmarking, RFC 2544) and a unique local IPv6 prefix: not multicast, unlike proxychains'
/// 224.0.0.0/4, so dig, ssh's CheckHostIP and ping treat them as the ordinary unicast they look like.
/// One table per <c>windsock run</c>, shared by every process of the program (it lives here, not in
/// the preload), so a child connects to the address its parent looked up.
/// </summary>
internal sealed class MappedAddresses
{
    public static readonly IPNetwork DefaultIPv4 = IPNetwork.Parse("198.18.0.0/15");
    public static readonly IPNetwork DefaultIPv6 = IPNetwork.Parse("fd57:696e:6473::/64");

    private readonly object _gate = new();
    private readonly Dictionary<string, int> _byName = new(StringComparer.Ordinal);
    private readonly List<string> _names = [];
    private readonly BigInteger _capacity;

    public MappedAddresses(IPNetwork ipv4, IPNetwork ipv6)
    {
        if (ipv4.BaseAddress.AddressFamily != AddressFamily.InterNetwork || ipv4.PrefixLength > 30)
        {
            throw new ArgumentException($"{ipv4}: the IPv4 mapped range must be an IPv4 network of /30 or larger", nameof(ipv4));
        }

        if (ipv6.BaseAddress.AddressFamily != AddressFamily.InterNetworkV6 || ipv6.PrefixLength > 126)
        {
            throw new ArgumentException($"{ipv6}: the IPv6 mapped range must be an IPv6 network of /126 or larger", nameof(ipv6));
        }

        if (IsMulticast(ipv4.BaseAddress) || IsMulticast(ipv6.BaseAddress))
        {
            throw new ArgumentException("a mapped range must not be multicast: programs such as dig refuse multicast answers", nameof(ipv4));
        }

        IPv4 = ipv4;
        IPv6 = ipv6;

        // The first and last address of each range are left out (network and broadcast look-alikes).
        BigInteger v4 = (BigInteger.One << (32 - ipv4.PrefixLength)) - 2;
        BigInteger v6 = (BigInteger.One << (128 - ipv6.PrefixLength)) - 2;
        _capacity = BigInteger.Min(v4, v6);
    }

    public IPNetwork IPv4 { get; }

    public IPNetwork IPv6 { get; }

    /// <summary>The pair of addresses for <paramref name="name"/>, the same every time; false when the ranges are used up.</summary>
    public bool TryMap(string name, out IPAddress ipv4, out IPAddress ipv6)
    {
        string key = Normalize(name);
        int index;
        lock (_gate)
        {
            if (!_byName.TryGetValue(key, out index))
            {
                if (_names.Count >= _capacity)
                {
                    ipv4 = ipv6 = IPAddress.None;
                    return false;
                }

                _names.Add(key);
                index = _names.Count;
                _byName[key] = index;
            }
        }

        ipv4 = Offset(IPv4.BaseAddress, index);
        ipv6 = Offset(IPv6.BaseAddress, index);
        return true;
    }

    public bool Contains(IPAddress address)
    {
        address = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return IPv4.Contains(address) || IPv6.Contains(address);
    }

    /// <summary>The name an address was handed out for.</summary>
    public bool TryGetName(IPAddress address, [NotNullWhen(true)] out string? name)
    {
        name = null;
        address = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        IPNetwork range = address.AddressFamily == AddressFamily.InterNetwork ? IPv4 : IPv6;
        if (!range.Contains(address))
        {
            return false;
        }

        BigInteger index = ToInteger(address) - ToInteger(range.BaseAddress);
        lock (_gate)
        {
            if (index < 1 || index > _names.Count)
            {
                return false;
            }

            name = _names[(int)index - 1];
            return true;
        }
    }

    private static string Normalize(string name) => name.TrimEnd('.').ToLowerInvariant();

    private static bool IsMulticast(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? address.IsIPv6Multicast : (address.GetAddressBytes()[0] & 0xF0) == 0xE0;

    private static BigInteger ToInteger(IPAddress address) => new(address.GetAddressBytes(), isUnsigned: true, isBigEndian: true);

    private static IPAddress Offset(IPAddress network, int index)
    {
        byte[] bytes = (ToInteger(network) + index).ToByteArray(isUnsigned: true, isBigEndian: true);
        int size = network.AddressFamily == AddressFamily.InterNetwork ? 4 : 16;
        var padded = new byte[size];
        bytes.AsSpan(Math.Max(0, bytes.Length - size)).CopyTo(padded.AsSpan(size - Math.Min(size, bytes.Length)));
        return new IPAddress(padded);
    }
}
