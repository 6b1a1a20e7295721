using System.Net;
using System.Text;
using Windsock.Protocol.ProxyProtocol;
using Xunit;
using static Windsock.Protocol.Tests.Support.Wire;

namespace Windsock.Protocol.Tests;

/// <summary>
/// The PROXY protocol header, versions 1 and 2, against the examples and limits of HAProxy's
/// proxy-protocol.txt: every valid header parses the same split at any index, and everything the
/// specification says must be discarded is an error.
/// </summary>
public class ProxyHeaderTests
{
    private const string V2Signature = "0D0A0D0A000D0A515549540A";

    private static ProxyHeader Relayed(int version, string source, string destination) =>
        new(version, ProxyHeaderCommand.Proxy, IPEndPoint.Parse(source), IPEndPoint.Parse(destination));

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    public static TheoryData<string, string, string> V1Lines => new()
    {
        // Section 2.1's example, then its longest TCP4 and TCP6 lines (56 and 104 bytes).
        { "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n", "192.168.0.1:56324", "192.168.0.11:443" },
        { "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n", "255.255.255.255:65535", "255.255.255.255:65535" },
        {
            "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n",
            "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535", "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535"
        },
        { "PROXY TCP4 0.0.0.0 10.0.0.1 0 1080\r\n", "0.0.0.0:0", "10.0.0.1:1080" },
        { "PROXY TCP6 2001:db8::1 2001:DB8::2 40000 1080\r\n", "[2001:db8::1]:40000", "[2001:db8::2]:1080" },
        { "PROXY TCP6 ::ffff:10.1.2.3 ::1 1 2\r\n", "[::ffff:10.1.2.3]:1", "[::1]:2" },
    };

    [Theory]
    [MemberData(nameof(V1Lines))]
    public void Version_1_lines_from_the_specification(string line, string source, string destination)
    {
        var bytes = Ascii(line);
        AssertSplitsEverywhere<ProxyHeader>(ProxyHeader.TryParse, bytes, Relayed(1, source, destination));

        // What follows the CRLF is the relayed connection's first bytes, left alone.
        var withRequest = Concat(bytes, [0x05, 0x01, 0x00]);
        Assert.Equal(ParseResult.Done(bytes.Length), Parse<ProxyHeader>(ProxyHeader.TryParse, withRequest, out _));
    }

    [Theory]
    [InlineData("PROXY UNKNOWN\r\n")]
    [InlineData("PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n")]
    [InlineData("PROXY UNKNOWN whatever the sender put here\r\n")]
    public void Version_1_unknown_relays_a_client_it_cannot_name(string line)
    {
        var bytes = Ascii(line);
        Assert.InRange(bytes.Length, 15, ProxyHeader.MaxV1Length);
        AssertSplitsEverywhere<ProxyHeader>(ProxyHeader.TryParse, bytes, new ProxyHeader(1, ProxyHeaderCommand.Proxy, null, null));
    }

    [Theory]
    [InlineData("PROXY TCP4 192.168.000.1 192.168.0.11 56324 443\r\n")] // leading zeros (octal doubt)
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 056324 443\r\n")]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 56324 65536\r\n")]
    [InlineData("PROXY TCP4 192.168.0.1  192.168.0.11 56324 443\r\n")] // two spaces
    [InlineData("PROXY  TCP4 192.168.0.1 192.168.0.11 56324 443\r\n")]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443 \r\n")] // trailing space
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443 80\r\n")]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 56324\r\n")]
    [InlineData("PROXY TCP4 192.168.1 192.168.0.11 56324 443\r\n")] // three parts
    [InlineData("PROXY TCP4 192.168.0.256 192.168.0.11 56324 443\r\n")]
    [InlineData("PROXY TCP4 0x7f.0.0.1 192.168.0.11 56324 443\r\n")]
    [InlineData("PROXY TCP4 ::1 ::1 1 2\r\n")] // family mismatch
    [InlineData("PROXY TCP6 10.0.0.1 10.0.0.2 1 2\r\n")]
    [InlineData("PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n")] // zone
    [InlineData("PROXY TCP6 [::1] ::1 1 2\r\n")]
    [InlineData("PROXY TCP5 10.0.0.1 10.0.0.2 1 2\r\n")]
    [InlineData("PROXY UDP4 10.0.0.1 10.0.0.2 1 2\r\n")]
    [InlineData("PROXY tcp4 10.0.0.1 10.0.0.2 1 2\r\n")]
    [InlineData("PROXY\r\n")]
    [InlineData("PROXY \r\n")]
    [InlineData("PROXYTCP4 10.0.0.1 10.0.0.2 1 2\r\n")]
    [InlineData("PROXY TCP4 10.0.0.1 10.0.0.2 1 2\n")] // lone LF
    [InlineData("PROXY TCP4 10.0.0.1 10.0.0.2 1 2\r\r\n")] // lone CR
    [InlineData("PROXY TCP4 10.0.0.1\r10.0.0.2 1 2\r\n")]
    [InlineData("PROXY TCP4 10.0.0.1\t10.0.0.2 1 2\r\n")]
    [InlineData("PROXY UNKNOWN\u00e9\r\n")]
    public void Version_1_lines_not_exactly_in_the_specification_form_are_refused(string line)
    {
        var result = Parse<ProxyHeader>(ProxyHeader.TryParse, Encoding.Latin1.GetBytes(line), out var header);
        Assert.Equal(ParseResult.Fail(ProtocolError.InvalidProxyHeader), result);
        Assert.Equal(default, header);
    }

    [Fact]
    public void A_version_1_line_without_crlf_in_107_bytes_is_too_long()
    {
        // 107 bytes with the CRLF is the longest line; 106 bytes and no CRLF may still end in time.
        var longest = Ascii("PROXY UNKNOWN " + new string('f', 91) + "\r\n");
        Assert.Equal(ProxyHeader.MaxV1Length, longest.Length);
        Assert.True(Parse<ProxyHeader>(ProxyHeader.TryParse, longest, out _).IsDone);

        var unterminated = Ascii("PROXY UNKNOWN " + new string('f', 200));
        Assert.Equal(ParseResult.NeedMore, Parse<ProxyHeader>(ProxyHeader.TryParse, unterminated.AsSpan(0, 106), out _));
        Assert.Equal(ParseResult.Fail(ProtocolError.ProxyHeaderTooLong), Parse<ProxyHeader>(ProxyHeader.TryParse, unterminated.AsSpan(0, 107), out _));
        Assert.Equal(ParseResult.Fail(ProtocolError.ProxyHeaderTooLong), Parse<ProxyHeader>(ProxyHeader.TryParse, unterminated, out _));

        var oneTooMany = Ascii("PROXY UNKNOWN " + new string('f', 92) + "\r\n");
        Assert.Equal(ParseResult.Fail(ProtocolError.ProxyHeaderTooLong), Parse<ProxyHeader>(ProxyHeader.TryParse, oneTooMany, out _));
    }

    public static TheoryData<string, string?, string?, int> V2Headers => new()
    {
        // What HAProxy sent in front of an HTTP request (seriousben/experiment-proxy-protocol's capture): TCP over IPv4.
        { V2Signature + "21 11 000C AC130001 AC130003 A652 0050", "172.19.0.1:42578", "172.19.0.3:80", 1 },
        // TCP over IPv6, 36 bytes of addresses.
        { V2Signature + "21 21 0024 20010DB8000000000000000000000001 20010DB8000000000000000000000002 9C40 0438", "[2001:db8::1]:40000", "[2001:db8::2]:1080", 1 },
        // UDP over IPv4: the addresses are still the client's.
        { V2Signature + "21 12 000C 0A000001 0A000002 0035 0035", "10.0.0.1:53", "10.0.0.2:53", 1 },
        // LOCAL (a health check) with and without an address block: the addresses are ignored.
        { V2Signature + "20 00 0000", null, null, 0 },
        { V2Signature + "20 11 000C 0A000001 0A000002 1F90 0438", null, null, 0 },
        // LOCAL ignores the family, so a block shorter than it would need is no error (the length is what counts).
        { V2Signature + "20 31 0000", null, null, 0 },
        { V2Signature + "20 21 0003 010203", null, null, 0 },
        // PROXY for a family the receiver cannot use: AF_UNSPEC, AF_UNIX (216 bytes of paths).
        { V2Signature + "21 00 0000", null, null, 1 },
        { V2Signature + "21 31 00D8" + new string('0', 432), null, null, 1 },
        // A NOOP TLV of three padding bytes and an empty one behind the addresses are skipped.
        { V2Signature + "21 11 0015 0A000001 0A000002 1F90 0438 04 0003 000000 04 0000", "10.0.0.1:8080", "10.0.0.2:1080", 1 },
    };

    [Theory]
    [MemberData(nameof(V2Headers))]
    public void Version_2_headers(string hex, string? source, string? destination, int command)
    {
        var expected = new ProxyHeader(2, (ProxyHeaderCommand)command, source is null ? null : IPEndPoint.Parse(source), destination is null ? null : IPEndPoint.Parse(destination));
        AssertSplitsEverywhere<ProxyHeader>(ProxyHeader.TryParse, Hex(hex), expected);
    }

    [Fact]
    public void A_version_2_unique_id_is_kept_and_a_crc32c_is_checked()
    {
        // Addresses 10.0.0.1:54321 -> 192.0.2.1:1080, UNIQUE_ID "ws-42", CRC32C 0x47382E25 (computed bitwise by an
        // independent Python implementation of RFC 4960 appendix B over the header with the field zeroed).
        var header = Hex(V2Signature + "21 11 001B 0A000001 C0000201 D431 0438 05 0005 77732D3432 03 0004 47382E25");
        var expected = new ProxyHeader(2, ProxyHeaderCommand.Proxy, IPEndPoint.Parse("10.0.0.1:54321"), IPEndPoint.Parse("192.0.2.1:1080"), "ws-42", Checksummed: true);
        AssertSplitsEverywhere<ProxyHeader>(ProxyHeader.TryParse, header, expected);

        // One bit flipped anywhere the checksum covers (here the last byte of the destination address) is refused.
        header[^20] ^= 0x01;
        Assert.Equal(ParseResult.Fail(ProtocolError.ProxyChecksumMismatch), Parse<ProxyHeader>(ProxyHeader.TryParse, header, out _));
    }

    [Fact]
    public void A_unique_id_that_is_not_printable_is_logged_as_hex()
    {
        var header = Hex(V2Signature + "21 11 0011 0A000001 0A000002 1F90 0438 05 0002 0A00");
        Assert.True(Parse<ProxyHeader>(ProxyHeader.TryParse, header, out var parsed).IsDone);
        Assert.Equal("0a00", parsed.UniqueId);
    }

    [Fact]
    public void The_crc32c_is_rfc_4960s()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
    }

    [Theory]
    [InlineData(V2Signature + "11 11 000C 0A000001 0A000002 0001 0002", ProtocolError.InvalidProxyHeader)] // version 1 nibble
    [InlineData(V2Signature + "31", ProtocolError.InvalidProxyHeader)] // decided at the 13th byte
    [InlineData(V2Signature + "22 11 000C 0A000001 0A000002 0001 0002", ProtocolError.UnsupportedProxyCommand)]
    [InlineData(V2Signature + "2F 11 000C 0A000001 0A000002 0001 0002", ProtocolError.UnsupportedProxyCommand)]
    [InlineData(V2Signature + "21 41 000C 0A000001 0A000002 0001 0002", ProtocolError.UnsupportedProxyFamily)]
    [InlineData(V2Signature + "21 13 000C 0A000001 0A000002 0001 0002", ProtocolError.UnsupportedProxyFamily)]
    [InlineData(V2Signature + "21 11 000B 0A000001 0A000002 0001 00", ProtocolError.ProxyAddressesTruncated)]
    [InlineData(V2Signature + "21 21 000C 0A000001 0A000002 0001 0002", ProtocolError.ProxyAddressesTruncated)]
    [InlineData(V2Signature + "21 11 FFFF", ProtocolError.ProxyHeaderTooLong)] // decided at 16 bytes: nothing more is awaited
    [InlineData(V2Signature + "21 11 0401", ProtocolError.ProxyHeaderTooLong)]
    [InlineData(V2Signature + "21 11 000E 0A000001 0A000002 0001 0002 04 00", ProtocolError.InvalidProxyTlv)] // TLV header cut
    [InlineData(V2Signature + "21 11 0010 0A000001 0A000002 0001 0002 04 0002 00", ProtocolError.InvalidProxyTlv)] // value runs past the end
    [InlineData(V2Signature + "21 11 0010 0A000001 0A000002 0001 0002 04 FFFF 00", ProtocolError.InvalidProxyTlv)]
    [InlineData(V2Signature + "21 11 0012 0A000001 0A000002 0001 0002 03 0003 000000", ProtocolError.InvalidProxyTlv)] // CRC32C of 3 bytes
    [InlineData(V2Signature + "21 11 0013 0A000001 0A000002 0001 0002 03 0004 00000000", ProtocolError.ProxyChecksumMismatch)]
    public void Hostile_version_2_headers_are_refused(string hex, ProtocolError error)
    {
        var result = Parse<ProxyHeader>(ProxyHeader.TryParse, Hex(hex), out var header);
        Assert.Equal(ParseResult.Fail(error), result);
        Assert.Equal(default, header);
    }

    [Fact]
    public void The_longest_version_2_header_accepted_is_the_limit()
    {
        // 1,024 bytes behind the fixed part: IPv4 addresses and one NOOP TLV filling the rest.
        int noop = 1024 - 12 - 3;
        var largest = Concat(Hex(V2Signature + "21 11 0400 0A000001 0A000002 0001 0002 04"), [(byte)(noop >> 8), (byte)noop], new byte[noop]);
        Assert.Equal(ProxyHeader.MaxLength, largest.Length);
        Assert.Equal(ParseResult.Done(largest.Length), Parse<ProxyHeader>(ProxyHeader.TryParse, largest, out _));
    }

    [Theory]
    [InlineData("05 01 00")] // a SOCKS5 greeting
    [InlineData("04 01 00 50 7F000001 00")] // SOCKS4
    [InlineData("474554202F20485454502F312E310D0A")] // GET / HTTP/1.1
    [InlineData("50524F58")] // "PROX" is still a prefix: see below
    [InlineData("0D0A0D0A00")]
    public void Bytes_that_cannot_become_a_header_are_told_apart_at_once(string hex)
    {
        var bytes = Hex(hex);
        var result = Parse<ProxyHeader>(ProxyHeader.TryParse, bytes, out _);
        bool prefix = hex.StartsWith("50", StringComparison.Ordinal) || hex.StartsWith("0D", StringComparison.Ordinal);
        Assert.Equal(prefix ? ParseResult.NeedMore : ParseResult.Fail(ProtocolError.NotProxyHeader), result);
        Assert.Equal(prefix, ProxyHeader.LooksLikeHeader(bytes));
    }

    [Fact]
    public void Near_misses_of_the_signatures_are_not_headers()
    {
        Assert.Equal(ParseResult.Fail(ProtocolError.NotProxyHeader), Parse<ProxyHeader>(ProxyHeader.TryParse, Ascii("PROXI TCP4"), out _));
        Assert.Equal(ParseResult.Fail(ProtocolError.NotProxyHeader), Parse<ProxyHeader>(ProxyHeader.TryParse, Hex("0D0A0D0A000D0A515549540B"), out _));
        Assert.False(ProxyHeader.LooksLikeHeader([]));
        Assert.False(ProxyHeader.LooksLikeHeader(Ascii("PRIX")));
    }
}
