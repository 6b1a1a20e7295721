using System.Net;
using System.Text;
using CsCheck;
using Windsock.Protocol.Socks4;
using Windsock.Protocol.Tests.Support;
using Xunit;
using static Windsock.Protocol.Tests.Support.Wire;

namespace Windsock.Protocol.Tests;

public class Socks4RequestTests
{
    private static readonly Parser<Socks4Request> Parser = Socks4Request.TryParse;

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    private static SocksEndpoint V4(string address, ushort port) => SocksEndpoint.FromAddress(IPAddress.Parse(address), port);

    public static TheoryData<string, Socks4Request> Layouts => new()
    {
        // SOCKS4 CONNECT to 127.0.0.1:80 as "fred".
        { "04 01 0050 7F000001 66726564 00", new(Socks4Command.Connect, V4("127.0.0.1", 80), "fred") },
        // SOCKS4 BIND: the address is the application server expected to connect back.
        { "04 02 1F90 C0000201 626F62 00", new(Socks4Command.Bind, V4("192.0.2.1", 8080), "bob") },
        // Empty user id.
        { "04 01 FFFF 0A000001 00", new(Socks4Command.Connect, V4("10.0.0.1", 65535), "") },
        // 0.0.0.0 is an address, not the SOCKS4a marker.
        { "04 01 0050 00000000 00", new(Socks4Command.Connect, V4("0.0.0.0", 80), "") },
        // Addresses that merely start or end with zeros are not the marker either.
        { "04 01 0050 00000100 00", new(Socks4Command.Connect, V4("0.0.1.0", 80), "") },
        { "04 01 0050 00010001 00", new(Socks4Command.Connect, V4("0.1.0.1", 80), "") },
        { "04 01 0050 01000001 00", new(Socks4Command.Connect, V4("1.0.0.1", 80), "") },
        // SOCKS4a with the customary 0.0.0.1 marker.
        { "04 01 0050 00000001 66726564 00 6578616D706C652E636F6D 00", new(Socks4Command.Connect, SocksEndpoint.FromHost("example.com", 80), "fred") },
        // SOCKS4a BIND with an empty user id.
        { "04 02 0015 00000001 00 6674702E6578616D706C65 00", new(Socks4Command.Bind, SocksEndpoint.FromHost("ftp.example", 21), "") },
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Parses_layout_split_at_every_index(string hex, Socks4Request expected)
    {
        AssertSplitsEverywhere(Parser, Hex(hex), expected);
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Writes_layout(string hex, Socks4Request request)
    {
        Assert.Equal(Hex(hex), Written(b => request.Write(b)));
        Assert.Equal(Hex(hex).Length, request.EncodedLength);
    }

    [Theory]
    [InlineData(0x01)]
    [InlineData(0x02)]
    [InlineData(0x7F)]
    [InlineData(0x80)]
    [InlineData(0xFF)]
    public void Any_0_0_0_x_with_x_nonzero_is_socks4a(byte x)
    {
        var bytes = Concat(Hex("04 01 0050 000000"), [x], Ascii("u\0host.example\0"));
        Assert.Equal(ParseResult.Done(bytes.Length), Socks4Request.TryParse(bytes, out var request));
        Assert.True(request.IsSocks4a);
        Assert.Equal(SocksEndpoint.FromHost("host.example", 80), request.Destination);
        Assert.Equal("u", request.UserId);
    }

    [Fact]
    public void Zero_address_is_not_socks4a_and_a_following_name_is_not_consumed()
    {
        var bytes = Concat(Hex("04 01 0050 00000000"), Ascii("u\0host.example\0"));
        Assert.Equal(ParseResult.Done(10), Socks4Request.TryParse(bytes, out var request));
        Assert.False(request.IsSocks4a);
        Assert.Equal(V4("0.0.0.0", 80), request.Destination);
    }

    [Fact]
    public void Socks4_connect_is_not_socks4a()
    {
        Socks4Request.TryParse(Hex("04 01 0050 7F000001 00"), out var request);
        Assert.False(request.IsSocks4a);
        Assert.Equal(AddressType.IPv4, request.Destination.Type);
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x03)]
    [InlineData(0x04)]
    [InlineData(0x05)]
    [InlineData(0xF0)]
    [InlineData(0xFF)]
    public void Command_other_than_connect_or_bind_fails_on_the_second_byte(byte command)
    {
        var bytes = Concat([0x04, command], Hex("0050 7F000001 00"));
        Assert.Equal(ParseResult.Fail(ProtocolError.UnsupportedCommand), Socks4Request.TryParse(bytes.AsSpan(0, 2), out _));
        Assert.Equal(ParseResult.Fail(ProtocolError.UnsupportedCommand), Socks4Request.TryParse(bytes, out _));
    }

    [Theory]
    [InlineData("05")]
    [InlineData("05 01 00 01 7F000001 0050")]
    [InlineData("00 01 0050 7F000001 00")]
    [InlineData("03")]
    [InlineData("FF")]
    public void Unknown_version_fails_on_the_first_byte(string hex)
    {
        Assert.Equal(ParseResult.Fail(ProtocolError.UnsupportedVersion), Socks4Request.TryParse(Hex(hex), out _));
    }

    [Fact]
    public void User_id_of_255_bytes_parses()
    {
        var user = new string('u', 255);
        var bytes = Concat(Hex("04 01 0050 7F000001"), Ascii(user), [0]);
        AssertSplitsEverywhere(Parser, bytes, new Socks4Request(Socks4Command.Connect, V4("127.0.0.1", 80), user));
    }

    [Fact]
    public void User_id_of_256_bytes_fails_even_before_its_nul_arrives()
    {
        var header = Hex("04 01 0050 7F000001");
        var withoutNul = Concat(header, Repeat((byte)'u', 256));
        Assert.Equal(ParseResult.NeedMore, Socks4Request.TryParse(withoutNul.AsSpan(0, withoutNul.Length - 1), out _));
        Assert.Equal(ParseResult.Fail(ProtocolError.UserIdTooLong), Socks4Request.TryParse(withoutNul, out _));
        Assert.Equal(ParseResult.Fail(ProtocolError.UserIdTooLong), Socks4Request.TryParse(Concat(withoutNul, [0]), out _));
        Assert.Equal(ParseResult.Fail(ProtocolError.UserIdTooLong), Socks4Request.TryParse(Concat(header, Repeat((byte)'u', 600)), out _));
    }

    [Fact]
    public void Socks4a_user_id_of_256_bytes_fails_too()
    {
        var bytes = Concat(Hex("04 01 0050 00000001"), Repeat((byte)'u', 256), Ascii("\0a\0"));
        Assert.Equal(ParseResult.Fail(ProtocolError.UserIdTooLong), Socks4Request.TryParse(bytes, out _));
    }

    [Fact]
    public void User_id_bytes_outside_ascii_become_question_marks()
    {
        var bytes = Hex("04 01 0050 7F000001 41 80 FF 7F 01 42 00");
        Assert.Equal(ParseResult.Done(bytes.Length), Socks4Request.TryParse(bytes, out var request));
        Assert.Equal("A??\u007F\u0001B", request.UserId);
    }

    [Fact]
    public void Socks4a_host_of_255_bytes_and_user_id_of_255_bytes_is_the_longest_request()
    {
        var user = new string('u', 255);
        var host = new string('h', 255);
        var bytes = Concat(Hex("04 01 0050 00000001"), Ascii(user), [0], Ascii(host), [0]);
        Assert.Equal(SocksLimits.MaxSocks4RequestLength, bytes.Length);
        var expected = new Socks4Request(Socks4Command.Connect, SocksEndpoint.FromHost(host, 80), user);
        AssertSplitsEverywhere(Parser, bytes, expected);
        Assert.Equal(bytes, Written(b => expected.Write(b)));
        Assert.Equal(bytes.Length, expected.EncodedLength);
    }

    [Fact]
    public void Socks4a_host_of_256_bytes_fails_even_before_its_nul_arrives()
    {
        var header = Concat(Hex("04 01 0050 00000001"), Ascii("u\0"));
        var withoutNul = Concat(header, Repeat((byte)'h', 256));
        Assert.Equal(ParseResult.NeedMore, Socks4Request.TryParse(withoutNul.AsSpan(0, withoutNul.Length - 1), out _));
        Assert.Equal(ParseResult.Fail(ProtocolError.HostNameTooLong), Socks4Request.TryParse(withoutNul, out _));
        Assert.Equal(ParseResult.Fail(ProtocolError.HostNameTooLong), Socks4Request.TryParse(Concat(withoutNul, [0]), out _));
        Assert.Equal(ParseResult.Fail(ProtocolError.HostNameTooLong), Socks4Request.TryParse(Concat(header, Repeat((byte)'h', 600)), out _));
    }

    [Fact]
    public void Empty_socks4a_host_fails_when_its_nul_arrives()
    {
        var bytes = Concat(Hex("04 01 0050 00000001"), Ascii("fred\0\0"));
        Assert.Equal(ParseResult.NeedMore, Socks4Request.TryParse(bytes.AsSpan(0, bytes.Length - 1), out _));
        Assert.Equal(ParseResult.Fail(ProtocolError.EmptyHostName), Socks4Request.TryParse(bytes, out _));
    }

    [Theory]
    [InlineData(0x20)]
    [InlineData(0x7F)]
    [InlineData(0x80)]
    [InlineData(0x01)]
    [InlineData(0x0A)]
    [InlineData(0xFF)]
    public void Invalid_byte_in_socks4a_host_fails_as_soon_as_it_arrives(byte bad)
    {
        var prefix = Concat(Hex("04 01 0050 00000001"), Ascii("u\0ab"));
        var bytes = Concat(prefix, [bad], Ascii("cd\0"));
        Assert.Equal(ParseResult.NeedMore, Socks4Request.TryParse(prefix, out _));
        Assert.Equal(ParseResult.Fail(ProtocolError.InvalidHostName), Socks4Request.TryParse(bytes.AsSpan(0, prefix.Length + 1), out _));
        Assert.Equal(ParseResult.Fail(ProtocolError.InvalidHostName), Socks4Request.TryParse(bytes, out _));
    }

    [Fact]
    public void Writer_sends_host_names_the_socks4a_way()
    {
        var request = new Socks4Request(Socks4Command.Connect, SocksEndpoint.FromHost("a.b", 443), "");
        Assert.Equal(Hex("04 01 01BB 00000001 00 612E62 00"), Written(b => request.Write(b)));
        Assert.True(request.IsSocks4a);
    }

    [Fact]
    public void Writer_sends_an_ipv4_mapped_address_as_ipv4()
    {
        var request = new Socks4Request(Socks4Command.Connect, SocksEndpoint.FromAddress(IPAddress.Parse("::ffff:1.2.3.4"), 80), "");
        Assert.Equal(Hex("04 01 0050 01020304 00"), Written(b => request.Write(b)));
    }

    [Fact]
    public void Writer_rejects_what_socks4_cannot_carry()
    {
        var buffer = new byte[600];
        var v6 = new Socks4Request(Socks4Command.Connect, SocksEndpoint.FromAddress(IPAddress.IPv6Loopback, 80), "");
        Assert.Throws<InvalidOperationException>(() => v6.Write(buffer));

        var longUser = new Socks4Request(Socks4Command.Connect, V4("1.2.3.4", 80), new string('u', 256));
        Assert.Throws<InvalidOperationException>(() => longUser.Write(buffer));

        var nulUser = new Socks4Request(Socks4Command.Connect, V4("1.2.3.4", 80), "a\0b");
        Assert.Throws<InvalidOperationException>(() => nulUser.Write(buffer));
    }

    [Theory]
    [InlineData("0.0.0.1")]
    [InlineData("0.0.0.255")]
    public void Writer_rejects_an_address_that_would_read_as_the_socks4a_marker(string address)
    {
        // 0.0.0.x (x != 0) on the wire means "a host name follows": sending it as an address would
        // make the server wait for a name that never comes.
        var request = new Socks4Request(Socks4Command.Connect, V4(address, 80), "");
        Assert.Throws<InvalidOperationException>(() => request.Write(new byte[600]));
    }

    [Fact]
    public void Encoded_length_counts_bytes_for_user_ids_outside_ascii()
    {
        // The writer turns each non-ASCII character into '?'; a surrogate pair is one character to the encoder.
        var request = new Socks4Request(Socks4Command.Connect, V4("1.2.3.4", 80), "é\U0001F600");
        var bytes = Written(b => request.Write(b));
        Assert.Equal(request.EncodedLength, bytes.Length);
    }

    [Fact]
    public void Property_write_then_parse_round_trips()
    {
        Gen.Select(Gen.OneOf(Gen.Const(Socks4Command.Connect), Gen.Const(Socks4Command.Bind)), Gens.Socks4Endpoint, Gens.UserId)
            .Sample((command, endpoint, user) =>
            {
                var request = new Socks4Request(command, endpoint, user);
                var bytes = Written(b => request.Write(b));
                Assert.Equal(request.EncodedLength, bytes.Length);
                Assert.InRange(bytes.Length, 9, SocksLimits.MaxSocks4RequestLength);
                Assert.Equal(ParseResult.Done(bytes.Length), Parse(Parser, bytes, out var parsed));
                Assert.Equal(request, parsed);
                Assert.Equal(endpoint.IsHostName, parsed.IsSocks4a);
            }, iter: Gens.RoundTripIterations);
    }

    [Fact]
    public void Property_every_prefix_of_a_valid_request_needs_more()
    {
        Gen.Select(Gen.OneOf(Gen.Const(Socks4Command.Connect), Gen.Const(Socks4Command.Bind)), Gens.Socks4Endpoint, Gens.UserId)
            .Sample((command, endpoint, user) =>
            {
                var request = new Socks4Request(command, endpoint, user);
                AssertSplitsEverywhere(Parser, Written(b => request.Write(b)), request);
            }, iter: Gens.RoundTripIterations / 4);
    }
}
