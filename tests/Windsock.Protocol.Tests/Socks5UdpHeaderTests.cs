using System.Net;
using System.Text;
using CsCheck;
using Windsock.Protocol.Socks5;
using Windsock.Protocol.Tests.Support;
using Xunit;
using static Windsock.Protocol.Tests.Support.Wire;

namespace Windsock.Protocol.Tests;

/// <summary>The SOCKS5 UDP request header (RFC 1928 section 7): whole datagrams in, never NeedMore.</summary>
public class Socks5UdpHeaderTests
{
    public static TheoryData<string, byte, string> Layouts => new()
    {
        { "0000 00 01 7F000001 0035", 0, "127.0.0.1:53" },
        { "0000 00 01 00000000 0000", 0, "0.0.0.0:0" },
        { "0000 00 01 FFFFFFFF FFFF", 0, "255.255.255.255:65535" },
        { "0000 00 04 20010DB8000000000000000000000001 01BB", 0, "[2001:db8::1]:443" },
        { "0000 00 04 00000000000000000000000000000001 0007", 0, "[::1]:7" },
        { "0000 00 03 0B 6578616D706C652E636F6D 0035", 0, "example.com:53" },
        { "0000 01 01 0A000001 0050", 1, "10.0.0.1:80" },
        { "0000 FF 01 0A000001 0050", 0xFF, "10.0.0.1:80" },
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Parses_and_writes_rfc_layout(string hex, byte fragment, string address)
    {
        var header = Hex(hex);
        var expected = new Socks5UdpHeader(fragment, Socks5RequestTests.Endpoint(address));

        // Header alone, and with payloads of several sizes behind it: Consumed is the header, the rest is data.
        foreach (var payload in new[] { Array.Empty<byte>(), [0x00], Hex("0000 00 01"), Repeat(0xAB, 1500) })
        {
            var datagram = Concat(header, payload);
            var result = Parse<Socks5UdpHeader>(Socks5UdpHeader.TryParse, datagram, out var parsed);
            Assert.Equal(ParseResult.Done(header.Length), result);
            Assert.Equal(expected, parsed);
            Assert.Equal(payload, datagram[result.Consumed..]);
        }

        Assert.Equal(header, Written(b => expected.Write(b)));
        Assert.Equal(header.Length, expected.EncodedLength);
        Assert.Equal(fragment == 0, expected.IsStandalone);
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Every_truncation_is_a_truncated_datagram(string hex, byte fragment, string address)
    {
        _ = fragment;
        _ = address;
        var header = Hex(hex);
        for (int cut = 0; cut < header.Length; cut++)
        {
            var result = Parse<Socks5UdpHeader>(Socks5UdpHeader.TryParse, header.AsSpan(0, cut), out var parsed);
            Assert.Equal(ParseResult.Fail(ProtocolError.TruncatedDatagram), result);
            Assert.Equal(default, parsed);
        }
    }

    [Fact]
    public void Name_zero_is_a_name()
    {
        // Some clients write the domain "0" where they mean "unspecified"; the parser keeps it a name.
        var bytes = Hex("0000 00 03 01 30 0000");
        Assert.Equal(ParseResult.Done(bytes.Length), Socks5UdpHeader.TryParse(bytes, out var header));
        Assert.Equal(new Socks5UdpHeader(0, SocksEndpoint.FromHost("0", 0)), header);
    }

    [Theory]
    [InlineData("0100 00 01 7F000001 0035")]
    [InlineData("0001 00 01 7F000001 0035")]
    [InlineData("FFFF 00 01 7F000001 0035")]
    [InlineData("0500")] // a SOCKS5 message sent to the UDP port by mistake
    public void Reserved_bytes_must_be_zero(string hex) =>
        Assert.Equal(ParseResult.Fail(ProtocolError.ReservedNotZero), Socks5UdpHeader.TryParse(Hex(hex), out _));

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x02)]
    [InlineData(0x05)]
    [InlineData(0xFF)]
    public void Unknown_atyp_is_refused(byte atyp)
    {
        Assert.Equal(ParseResult.Fail(ProtocolError.UnsupportedAddressType), Socks5UdpHeader.TryParse(Concat(Hex("0000 00"), [atyp]), out _));
        Assert.Equal(ParseResult.Fail(ProtocolError.UnsupportedAddressType), Socks5UdpHeader.TryParse(Concat(Hex("0000 00"), [atyp], Hex("7F000001 0035 AABB")), out _));
    }

    [Fact]
    public void Zero_length_name_is_refused() =>
        Assert.Equal(ParseResult.Fail(ProtocolError.EmptyHostName), Socks5UdpHeader.TryParse(Hex("0000 00 03 00 0035 AABB"), out _));

    [Fact]
    public void Name_longer_than_the_datagram_is_truncated()
    {
        // Length byte 255 with only 20 name bytes and data behind: the name would run past the end.
        var datagram = Concat(Hex("0000 00 03 FF"), Repeat((byte)'x', 20));
        Assert.Equal(ParseResult.Fail(ProtocolError.TruncatedDatagram), Socks5UdpHeader.TryParse(datagram, out _));
    }

    [Theory]
    [InlineData(0x20)]
    [InlineData(0x00)]
    [InlineData(0x7F)]
    [InlineData(0xC3)]
    public void Name_with_invalid_bytes_is_refused(byte bad)
    {
        var datagram = Concat(Hex("0000 00 03 03"), [(byte)'a', bad, (byte)'b'], Hex("0035"));
        Assert.Equal(ParseResult.Fail(ProtocolError.InvalidHostName), Socks5UdpHeader.TryParse(datagram, out _));
    }

    [Fact]
    public void Largest_header_is_max_udp_header_length()
    {
        var name = new string('n', SocksLimits.MaxHostNameLength);
        var header = new Socks5UdpHeader(0, SocksEndpoint.FromHost(name, 53));
        var bytes = Written(b => header.Write(b));
        Assert.Equal(SocksLimits.MaxSocks5UdpHeaderLength, bytes.Length);
        Assert.Equal(Concat(Hex("0000 00 03 FF"), Encoding.ASCII.GetBytes(name), Hex("0035")), bytes);
        Assert.Equal(ParseResult.Done(bytes.Length), Socks5UdpHeader.TryParse(Concat(bytes, [1, 2, 3]), out var parsed));
        Assert.Equal(header, parsed);
    }

    [Fact]
    public void Smallest_header_is_min_udp_header_length()
    {
        var oneLetterName = new Socks5UdpHeader(0, SocksEndpoint.FromHost("a", 0));
        Assert.Equal(SocksLimits.MinSocks5UdpHeaderLength, oneLetterName.EncodedLength);
        Assert.True(new Socks5UdpHeader(0, SocksEndpoint.FromAddress(IPAddress.Any, 0)).EncodedLength > SocksLimits.MinSocks5UdpHeaderLength);
    }

    [Fact]
    public void Ipv4_mapped_sender_is_written_as_ipv4()
    {
        // A dual-mode relay socket reports IPv4 senders as ::ffff:a.b.c.d; clients must see plain IPv4.
        var header = new Socks5UdpHeader(0, SocksEndpoint.FromEndPoint(new IPEndPoint(IPAddress.Parse("::ffff:192.0.2.7"), 53)));
        Assert.Equal(Hex("0000 00 01 C0000207 0035"), Written(b => header.Write(b)));
    }

    [Fact]
    public void A_one_letter_name_is_the_shortest_header()
    {
        // Found by the arbitrary-bytes property (seed aLRAYKkdTNZ1): the documented minimum assumed IPv4.
        var datagram = Hex("0000 7E 03 01 2D 012D FFEE");
        var result = Socks5UdpHeader.TryParse(datagram, out var header);
        Assert.Equal(ParseResult.Done(SocksLimits.MinSocks5UdpHeaderLength), result);
        Assert.Equal("-", header.Address.Host);
        Assert.Equal((ushort)0x012D, header.Address.Port);
        Assert.Equal(ParseResult.Fail(ProtocolError.TruncatedDatagram), Socks5UdpHeader.TryParse(datagram.AsSpan(0, SocksLimits.MinSocks5UdpHeaderLength - 1), out _));
    }

    [Fact]
    public void Writer_rejects_a_too_small_destination()
    {
        var header = new Socks5UdpHeader(0, SocksEndpoint.FromAddress(IPAddress.Loopback, 53));
        Assert.Throws<ArgumentException>(() => header.Write(new byte[9]));
        Assert.Equal(10, header.Write(new byte[10]));
    }

    [Fact]
    public void Round_trips_any_address_fragment_and_payload()
    {
        Gen.Select(Gen.Byte, Gens.Endpoint, Gen.Byte.Array[0, 64]).Sample((fragment, address, payload) =>
        {
            var header = new Socks5UdpHeader(fragment, address);
            var bytes = new byte[header.EncodedLength + payload.Length];
            int written = header.Write(bytes);
            payload.CopyTo(bytes, written);

            var result = Socks5UdpHeader.TryParse(bytes, out var parsed);
            Assert.Equal(ParseResult.Done(written), result);
            Assert.Equal(header, parsed);
            Assert.Equal(payload, bytes[result.Consumed..]);
        }, iter: Gens.RoundTripIterations);
    }

    [Fact]
    public void Arbitrary_bytes_never_throw_and_never_need_more()
    {
        // Random datagrams, and random bytes behind a valid RSV/FRAG so the address parsing gets exercised.
        var datagrams = Gen.Frequency(
            (1, Gen.Byte.Array[0, 600]),
            (3, Gen.Select(Gen.Byte, Gen.Byte.Array[0, 600], (frag, tail) => Concat([0, 0, frag], tail))),
            (3, Gen.Select(Gen.OneOf<byte>(1, 3, 4), Gen.Int[0, 8].Select(i => (byte)i).Array[0, 300], (atyp, tail) => Concat([0, 0, 0, atyp], tail))));
        datagrams.Sample(datagram =>
        {
            var result = Parse<Socks5UdpHeader>(Socks5UdpHeader.TryParse, datagram, out _);
            Assert.NotEqual(ParseStatus.NeedMore, result.Status);
            if (result.IsDone)
            {
                Assert.InRange(result.Consumed, SocksLimits.MinSocks5UdpHeaderLength, SocksLimits.MaxSocks5UdpHeaderLength);
            }
        }, iter: Gens.FuzzIterations);
    }

    [Fact]
    public void The_relays_literal_read_agrees_with_the_full_parse_on_arbitrary_bytes()
    {
        // The relay trusts TryReadAddressLiteral for address datagrams and sends the rest to TryParse: whatever
        // it accepts, TryParse must read the same FRAG, address, port and length; what it refuses as an
        // address, TryParse must refuse too or read as a name.
        var datagrams = Gen.Frequency(
            (1, Gen.Byte.Array[0, 64]),
            (3, Gen.Select(Gen.OneOf<byte>(0, 1), Gen.OneOf<byte>(1, 3, 4, 5), Gen.Byte.Array[0, 40], (frag, atyp, tail) => Concat([0, 0, frag, atyp], tail))));
        datagrams.Sample(datagram =>
        {
            var result = Parse<Socks5UdpHeader>(Socks5UdpHeader.TryParse, datagram, out var header);
            if (Socks5UdpHeader.TryReadAddressLiteral(datagram, out byte fragment, out var address, out ushort port, out int length))
            {
                Assert.Equal(ParseResult.Done(length), result);
                Assert.Equal(header.Fragment, fragment);
                Assert.Equal(header.Address.Port, port);
                var parsed = new IPAddress(address);
                Assert.Equal(header.Address.Address, parsed.IsIPv4MappedToIPv6 ? parsed.MapToIPv4() : parsed);
            }
            else
            {
                Assert.True(!result.IsDone || header.Address.IsHostName, "TryParse read an address the literal read refused");
            }
        }, iter: Gens.FuzzIterations);
    }
}
