using System.Net;
using System.Text;
using CsCheck;
using Windsock.Protocol.Socks5;
using Windsock.Protocol.Tests.Support;
using Xunit;
using static Windsock.Protocol.Tests.Support.Wire;

namespace Windsock.Protocol.Tests;

/// <summary>The ATYP | ADDR | PORT triple shared by SOCKS5 requests and replies.</summary>
public class Socks5AddressTests
{
    private static readonly Parser<SocksEndpoint> Parser = Socks5Address.TryRead;

    public static TheoryData<string, string> Layouts => new()
    {
        { "01 7F000001 0050", "127.0.0.1:80" },
        { "01 00000000 0000", "0.0.0.0:0" },
        { "01 FFFFFFFF FFFF", "255.255.255.255:65535" },
        { "04 20010DB8000000000000000000000001 01BB", "[2001:db8::1]:443" },
        { "04 00000000000000000000000000000001 0438", "[::1]:1080" },
        { "03 0B 6578616D706C652E636F6D 0050", "example.com:80" },
        { "03 01 61 FFFF", "a:65535" },
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Parses_and_writes_rfc_layout(string hex, string expected)
    {
        var bytes = Hex(hex);
        AssertSplitsEverywhere(Parser, bytes, Parsed(bytes));
        Assert.Equal(expected, Parsed(bytes).ToString());
        Assert.Equal(bytes, Written(b => Socks5Address.Write(b, Parsed(bytes))));
        Assert.Equal(bytes.Length, Parsed(bytes).Socks5EncodedLength);
    }

    [Fact]
    public void Ipv4_mapped_ipv6_on_the_wire_becomes_ipv4()
    {
        var bytes = Hex("04 00000000000000000000FFFF01020304 0050");
        Assert.Equal(ParseResult.Done(19), Socks5Address.TryRead(bytes, out var endpoint));
        Assert.Equal(AddressType.IPv4, endpoint.Type);
        Assert.Equal(IPAddress.Parse("1.2.3.4"), endpoint.Address);
        Assert.Equal("1.2.3.4:80", endpoint.ToString());
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x02)]
    [InlineData(0x05)]
    [InlineData(0x06)]
    [InlineData(0xFF)]
    public void Unknown_atyp_fails_at_once(byte atyp)
    {
        Assert.Equal(ParseResult.Fail(ProtocolError.UnsupportedAddressType), Socks5Address.TryRead([atyp], out _));
        Assert.Equal(ParseResult.Fail(ProtocolError.UnsupportedAddressType), Socks5Address.TryRead([atyp, 1, 2, 3, 4, 0, 80], out _));
    }

    [Fact]
    public void Zero_length_domain_fails_before_the_port_arrives()
    {
        Assert.Equal(ParseResult.Fail(ProtocolError.EmptyHostName), Socks5Address.TryRead(Hex("03 00"), out _));
        Assert.Equal(ParseResult.Fail(ProtocolError.EmptyHostName), Socks5Address.TryRead(Hex("03 00 0050"), out _));
    }

    [Theory]
    [InlineData(0x20)]
    [InlineData(0x00)]
    [InlineData(0x7F)]
    [InlineData(0x80)]
    [InlineData(0x09)]
    [InlineData(0x0A)]
    [InlineData(0xFF)]
    public void Invalid_byte_in_domain_fails_as_soon_as_it_arrives(byte bad)
    {
        // "ab?d" with the bad byte third; the name is 4 bytes, then a port.
        var bytes = Concat([0x03, 0x04, (byte)'a', (byte)'b', bad, (byte)'d', 0x00, 0x50]);
        for (int cut = 0; cut <= bytes.Length; cut++)
        {
            var expected = cut < 5 ? ParseResult.NeedMore : ParseResult.Fail(ProtocolError.InvalidHostName);
            Assert.Equal(expected, Socks5Address.TryRead(bytes.AsSpan(0, cut), out _));
        }
    }

    [Fact]
    public void Domain_of_255_bytes_parses()
    {
        var name = new string('x', 255);
        var bytes = Concat([0x03, 0xFF], Encoding.ASCII.GetBytes(name), [0x01, 0xBB]);
        AssertSplitsEverywhere(Parser, bytes, SocksEndpoint.FromHost(name, 443));
    }

    [Fact]
    public void Domain_length_255_is_read_as_unsigned()
    {
        // A 0xFF length must not be read as -1: with 10 name bytes present the parser waits for the rest.
        var bytes = Concat([0x03, 0xFF], Repeat((byte)'x', 10));
        Assert.Equal(ParseResult.NeedMore, Socks5Address.TryRead(bytes, out _));
    }

    [Fact]
    public void Writer_rejects_a_too_small_destination()
    {
        var endpoint = SocksEndpoint.FromAddress(IPAddress.IPv6Loopback, 80);
        Assert.Throws<ArgumentException>(() => Socks5Address.Write(new byte[18], endpoint));
        Assert.Equal(19, Socks5Address.Write(new byte[19], endpoint));
    }

    [Fact]
    public void Writer_sends_an_ipv4_mapped_address_as_ipv4()
    {
        var endpoint = SocksEndpoint.FromAddress(IPAddress.Parse("::ffff:10.1.2.3"), 8080);
        Assert.Equal(Hex("01 0A010203 1F90"), Written(b => Socks5Address.Write(b, endpoint)));
    }

    [Fact]
    public void Property_write_then_read_round_trips()
    {
        Gens.Endpoint.Sample(endpoint =>
        {
            var bytes = Written(b => Socks5Address.Write(b, endpoint));
            Assert.Equal(endpoint.Socks5EncodedLength, bytes.Length);
            Assert.Equal((byte)endpoint.Type, bytes[0]);
            Assert.Equal(ParseResult.Done(bytes.Length), Parse(Parser, bytes, out var parsed));
            Assert.Equal(endpoint, parsed);
        }, iter: Gens.RoundTripIterations);
    }

    private static SocksEndpoint Parsed(byte[] bytes)
    {
        Assert.True(Socks5Address.TryRead(bytes, out var endpoint).IsDone);
        return endpoint;
    }
}
