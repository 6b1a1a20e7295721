using System.Net;
using System.Text;
using CsCheck;

namespace Windsock.Protocol.Tests.Support;

/// <summary>CsCheck generators for the values the protocol messages carry.</summary>
public static class Gens
{
    /// <summary>Iterations for round-trip properties: enough to hit the edges, small enough for a fast suite.</summary>
    public const long RoundTripIterations = 1_000;

    /// <summary>Iterations for arbitrary-input properties, which are cheap per sample.</summary>
    public const long FuzzIterations = 3_000;

    public static readonly Gen<ushort> Port = Gen.Frequency(
        (1, Gen.OneOf<ushort>(0, 1, 80, 443, 1080, 0x00FF, 0x0100, 0xFF00, ushort.MaxValue)),
        (4, Gen.UShort));

    public static readonly Gen<IPAddress> IPv4 = Gen.Frequency(
        (1, Gen.OneOf(IPAddress.Any, IPAddress.Loopback, IPAddress.Broadcast, IPAddress.Parse("10.0.0.1"))),
        (6, Gen.Byte.Array[4].Select(b => new IPAddress(b))));

    /// <summary>IPv6 addresses without scope ids (the wire has no room for one).</summary>
    public static readonly Gen<IPAddress> IPv6 = Gen.Frequency(
        (1, Gen.OneOf(IPAddress.IPv6Any, IPAddress.IPv6Loopback, IPAddress.Parse("2001:db8::1"), IPAddress.Parse("fe80::1"))),
        (6, Gen.Byte.Array[16].Select(b => new IPAddress(b))));

    /// <summary>Valid host names: 1 to 255 printable ASCII characters, short ones more often.</summary>
    public static readonly Gen<string> HostName = Gen.Frequency(
        (4, Gen.Char['!', '~'].Array[1, 40]),
        (2, Gen.Char['!', '~'].Array[1, SocksLimits.MaxHostNameLength]),
        (1, Gen.Char['!', '~'].Array[SocksLimits.MaxHostNameLength]))
        .Select(chars => new string(chars));

    public static readonly Gen<SocksEndpoint> IPv4Endpoint = Gen.Select(IPv4, Port, SocksEndpoint.FromAddress);

    public static readonly Gen<SocksEndpoint> IPv6Endpoint = Gen.Select(IPv6, Port, SocksEndpoint.FromAddress);

    public static readonly Gen<SocksEndpoint> HostEndpoint = Gen.Select(HostName, Port, SocksEndpoint.FromHost);

    public static readonly Gen<SocksEndpoint> Endpoint = Gen.OneOf(IPv4Endpoint, IPv6Endpoint, HostEndpoint);

    /// <summary>
    /// What SOCKS4 can carry: IPv4 addresses other than the SOCKS4a marker 0.0.0.x (x != 0), or host names.
    /// </summary>
    public static readonly Gen<SocksEndpoint> Socks4Endpoint = Gen.OneOf(
        IPv4Endpoint.Where(e => !IsSocks4aMarker(e.Address!)),
        HostEndpoint);

    /// <summary>SOCKS4 user ids as the parser returns them: ASCII without NUL, 0 to 255 characters.</summary>
    public static readonly Gen<string> UserId = Gen.Frequency(
        (4, Gen.Char['\u0001', '\u007F'].Array[0, 20]),
        (2, Gen.Char['\u0001', '\u007F'].Array[0, SocksLimits.MaxUserIdLength]),
        (1, Gen.Char['\u0001', '\u007F'].Array[SocksLimits.MaxUserIdLength]))
        .Select(chars => new string(chars));

    /// <summary>Any Unicode scalar value (no lone surrogates), weighted towards ASCII.</summary>
    public static readonly Gen<Rune> Scalar = Gen.Frequency(
        (4, Gen.Int[0x00, 0x7F]),
        (2, Gen.Int[0x80, 0xD7FF]),
        (1, Gen.Int[0xE000, 0x10FFFF]))
        .Select(i => new Rune(i));

    /// <summary>RFC 1929 user names and passwords: 1 to 255 bytes of valid UTF-8.</summary>
    public static readonly Gen<string> Credential = Gen.Frequency(
        (6, Scalar.Array[1, 63]),
        (1, Scalar.Array[1, 255]))
        .Select(runes => string.Concat(runes.Select(r => r.ToString())))
        .Where(s => Encoding.UTF8.GetByteCount(s) <= SocksLimits.MaxCredentialLength);

    /// <summary>The method list of a greeting a client may send: 1 to 255 codes, duplicates allowed.</summary>
    public static readonly Gen<byte[]> Methods = Gen.Frequency(
        (4, Gen.Byte.Array[1, 5]),
        (2, Gen.Byte.Array[1, 255]),
        (1, Gen.Shuffle(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), 255)));

    public static bool IsSocks4aMarker(IPAddress address)
    {
        var b = address.GetAddressBytes();
        return b is [0, 0, 0, not 0];
    }
}
