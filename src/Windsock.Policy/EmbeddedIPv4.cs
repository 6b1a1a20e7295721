using System.Net;
using System.Net.Sockets;

namespace Windsock.Policy;

/// <summary>
/// The IPv4 address an IPv6 address stands for when it is one of the forms that carry one: a
/// packet to such an address ends up at (or is translated to) that IPv4 address, so the safe
/// default must judge it as that IPv4 address. IPv4-mapped addresses (::ffff:a.b.c.d) are already
/// turned into IPv4 by <see cref="ProtectedDestinations.Normalize"/>; the others are here.
/// </summary>
public static class EmbeddedIPv4
{
    /// <summary>
    /// The IPv4 addresses <paramref name="address"/> may carry, with the form's name; empty for
    /// IPv4 addresses and IPv6 addresses of no such form. The local-use NAT64 prefix
    /// (64:ff9b:1::/48) may be cut at /48, /56, /64 or /96 (RFC 6052 section 2.2), so it yields
    /// one candidate per cut: the server cannot know which one the site's translator uses.
    /// </summary>
    public static IReadOnlyList<(IPAddress Address, string Form)> Candidates(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return [];
        }

        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out _);
        if (b[..8].IndexOfAnyExcept((byte)0) < 0)
        {
            if (b[8] == 0xff && b[9] == 0xff && b[10] == 0 && b[11] == 0)
            {
                return [(Take(b, 12, 13, 14, 15), "an IPv4-translated address (::ffff:0:0/96)")];
            }

            if (b[8..12].IndexOfAnyExcept((byte)0) < 0 && !address.Equals(IPAddress.IPv6Any) && !address.Equals(IPAddress.IPv6Loopback))
            {
                return [(Take(b, 12, 13, 14, 15), "an IPv4-compatible address (::/96)")];
            }

            return [];
        }

        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b)
        {
            if (b[4..12].IndexOfAnyExcept((byte)0) < 0)
            {
                return [(Take(b, 12, 13, 14, 15), "a NAT64 address (64:ff9b::/96)")];
            }

            if (b[4] == 0x00 && b[5] == 0x01)
            {
                return LocalUseNat64(b);
            }

            return [];
        }

        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return [(Take(b, 2, 3, 4, 5), "a 6to4 address (2002::/16)")];
        }

        return [];
    }

    /// <summary>
    /// Each RFC 6052 layout the address is valid under (bits 64-71 zero, the bits after the IPv4
    /// address zero), skipping 0.0.0.0/8: the zeros of one layout read as 0.x.x.x in another, and
    /// no translator forwards to "this network".
    /// </summary>
    private static List<(IPAddress Address, string Form)> LocalUseNat64(ReadOnlySpan<byte> b)
    {
        const string LocalUse = "a local-use NAT64 address (64:ff9b:1::/48)";
        var candidates = new List<(IPAddress, string)>(4);
        if (b[8] != 0)
        {
            return candidates;
        }

        void Add(ReadOnlySpan<byte> bytes, int suffixStart, int a, int b1, int c, int d)
        {
            var carried = Take(bytes, a, b1, c, d);
            if (bytes[suffixStart..].IndexOfAnyExcept((byte)0) < 0 && bytes[a] != 0)
            {
                candidates.Add((carried, LocalUse));
            }
        }

        Add(b, 11, 6, 7, 9, 10);   // a /48 prefix: byte 8 is the reserved u octet
        Add(b, 12, 7, 9, 10, 11);  // /56
        Add(b, 13, 9, 10, 11, 12); // /64
        Add(b, 16, 12, 13, 14, 15); // /96
        return candidates;
    }

    private static IPAddress Take(ReadOnlySpan<byte> bytes, int a, int b, int c, int d) =>
        new([bytes[a], bytes[b], bytes[c], bytes[d]]);
}
