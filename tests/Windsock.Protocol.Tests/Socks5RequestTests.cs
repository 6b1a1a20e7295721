using System.Net;
using System.Text;
using CsCheck;
using Windsock.Protocol.Socks5;
using Windsock.Protocol.Tests.Support;
using Xunit;
using static Windsock.Protocol.Tests.Support.Wire;

namespace Windsock.Protocol.Tests;

public class Socks5RequestTests
{
    private static readonly Parser<Socks5Request> Parser = Socks5Request.TryParse;

    public static TheoryData<string, Socks5Command, string> Layouts => new()
    {
        { "05 01 00 01 7F000001 0050", Socks5Command.Connect, "127.0.0.1:80" },
        { "05 02 00 01 C0A80001 1F90", Socks5Command.Bind, "192.168.0.1:8080" },
        { "05 03 00 01 00000000 0000", Socks5Command.UdpAssociate, "0.0.0.0:0" },
        { "05 01 00 04 20010DB8000000000000000000000001 01BB", Socks5Command.Connect, "[2001:db8::1]:443" },
        { "05 03 00 04 00000000000000000000000000000000 0000", Socks5Command.UdpAssociate, "[::]:0" },
        { "05 01 00 03 0B 6578616D706C652E636F6D 0050", Socks5Command.Connect, "example.com:80" },
        { "05 F0 00 03 07 746F722E636F6D 0000", Socks5Command.Resolve, "tor.com:0" },
        { "05 F1 00 01 01020304 0000", Socks5Command.ResolvePtr, "1.2.3.4:0" },
        { "05 80 00 03 01 68 0000", Socks5Command.Ping, "h:0" },
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Parses_rfc_layout_split_at_every_index(string hex, Socks5Command command, string destination)
    {
        var bytes = Hex(hex);
        var expected = new Socks5Request(command, Endpoint(destination));
        AssertSplitsEverywhere(Parser, bytes, expected);
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Writes_rfc_layout(string hex, Socks5Command command, string destination)
    {
        var request = new Socks5Request(command, Endpoint(destination));
        Assert.Equal(Hex(hex), Written(b => request.Write(b)));
        Assert.Equal(Hex(hex).Length, request.EncodedLength);
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x04)]
    [InlineData(0x05)]
    [InlineData(0x7F)]
    [InlineData(0xF3)]
    [InlineData(0xFF)]
    public void Unknown_command_parses_so_the_server_can_reply_07(byte command)
    {
        var bytes = Concat([0x05, command, 0x00], Hex("01 0A000001 0050"));
        Assert.Equal(ParseResult.Done(bytes.Length), Socks5Request.TryParse(bytes, out var request));
        Assert.Equal((Socks5Command)command, request.Command);
    }

    [Fact]
    public void Nonzero_reserved_byte_is_tolerated()
    {
        var bytes = Hex("05 01 FF 01 0A000001 0050");
        Assert.Equal(ParseResult.Done(bytes.Length), Socks5Request.TryParse(bytes, out var request));
        Assert.Equal("10.0.0.1:80", request.Destination.ToString());
    }

    [Theory]
    [InlineData("04")]
    [InlineData("04 01 00 01 7F000001 0050")]
    [InlineData("01 01 00 01")]
    [InlineData("00")]
    [InlineData("FF")]
    public void Unknown_version_fails_on_the_first_byte(string hex)
    {
        Assert.Equal(ParseResult.Fail(ProtocolError.UnsupportedVersion), Socks5Request.TryParse(Hex(hex), out _));
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x02)]
    [InlineData(0x05)]
    [InlineData(0xFF)]
    public void Unknown_atyp_fails_once_it_arrives(byte atyp)
    {
        var bytes = Concat(Hex("05 01 00"), [atyp], Hex("7F000001 0050"));
        Assert.Equal(ParseResult.NeedMore, Socks5Request.TryParse(bytes.AsSpan(0, 3), out _));
        Assert.Equal(ParseResult.Fail(ProtocolError.UnsupportedAddressType), Socks5Request.TryParse(bytes.AsSpan(0, 4), out _));
        Assert.Equal(ParseResult.Fail(ProtocolError.UnsupportedAddressType), Socks5Request.TryParse(bytes, out _));
    }

    [Fact]
    public void Zero_length_domain_is_an_empty_host_name()
    {
        Assert.Equal(ParseResult.Fail(ProtocolError.EmptyHostName), Socks5Request.TryParse(Hex("05 01 00 03 00"), out _));
        Assert.Equal(ParseResult.Fail(ProtocolError.EmptyHostName), Socks5Request.TryParse(Hex("05 01 00 03 00 0050"), out _));
    }

    [Theory]
    [InlineData(0x20)]
    [InlineData(0x00)]
    [InlineData(0x7F)]
    [InlineData(0x80)]
    [InlineData(0x0D)]
    [InlineData(0xC3)]
    public void Invalid_byte_in_domain_is_an_invalid_host_name(byte bad)
    {
        var name = Concat(Encoding.ASCII.GetBytes("evil"), [bad], Encoding.ASCII.GetBytes(".com"));
        var bytes = Concat(Hex("05 01 00 03"), [(byte)name.Length], name, Hex("0050"));
        Assert.Equal(ParseResult.Fail(ProtocolError.InvalidHostName), Socks5Request.TryParse(bytes, out _));

        // It fails as soon as the bad byte is there, not only once the whole name and port have arrived.
        int badAt = 5 + 4;
        Assert.Equal(ParseResult.NeedMore, Socks5Request.TryParse(bytes.AsSpan(0, badAt), out _));
        Assert.Equal(ParseResult.Fail(ProtocolError.InvalidHostName), Socks5Request.TryParse(bytes.AsSpan(0, badAt + 1), out _));
    }

    [Fact]
    public void Domain_of_255_bytes_is_the_longest_request()
    {
        var name = new string('a', 250) + ".com.";
        var bytes = Concat(Hex("05 01 00 03 FF"), Encoding.ASCII.GetBytes(name), Hex("0050"));
        Assert.Equal(SocksLimits.MaxSocks5RequestLength, bytes.Length);
        var expected = new Socks5Request(Socks5Command.Connect, SocksEndpoint.FromHost(name, 80));
        AssertSplitsEverywhere(Parser, bytes, expected);
        Assert.Equal(bytes, Written(b => expected.Write(b)));
    }

    [Fact]
    public void Ipv4_mapped_ipv6_destination_becomes_ipv4()
    {
        var bytes = Hex("05 01 00 04 00000000000000000000FFFFC0000201 0050");
        Assert.Equal(ParseResult.Done(bytes.Length), Socks5Request.TryParse(bytes, out var request));
        Assert.Equal(AddressType.IPv4, request.Destination.Type);
        Assert.Equal(IPAddress.Parse("192.0.2.1"), request.Destination.Address);
    }

    [Fact]
    public void Property_write_then_parse_round_trips()
    {
        Gen.Select(Gen.Byte, Gens.Endpoint).Sample((command, endpoint) =>
        {
            var request = new Socks5Request((Socks5Command)command, endpoint);
            var bytes = Written(b => request.Write(b));
            Assert.Equal(request.EncodedLength, bytes.Length);
            Assert.InRange(bytes.Length, 3 + 1 + 1 + 1 + 2, SocksLimits.MaxSocks5RequestLength);
            Assert.Equal(ParseResult.Done(bytes.Length), Parse(Parser, bytes, out var parsed));
            Assert.Equal(request, parsed);
        }, iter: Gens.RoundTripIterations);
    }

    [Fact]
    public void Property_every_prefix_of_a_valid_request_needs_more()
    {
        Gen.Select(Gen.Byte, Gens.Endpoint).Sample((command, endpoint) =>
        {
            var request = new Socks5Request((Socks5Command)command, endpoint);
            AssertSplitsEverywhere(Parser, Written(b => request.Write(b)), request);
        }, iter: Gens.RoundTripIterations / 4);
    }

    internal static SocksEndpoint Endpoint(string text)
    {
        int colon = text.LastIndexOf(':');
        var host = text[..colon].Trim('[', ']');
        var port = ushort.Parse(text[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        return IPAddress.TryParse(host, out var address) ? SocksEndpoint.FromAddress(address, port) : SocksEndpoint.FromHost(host, port);
    }
}
