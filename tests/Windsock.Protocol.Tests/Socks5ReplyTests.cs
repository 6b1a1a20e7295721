using System.Net;
using System.Text;
using CsCheck;
using Windsock.Protocol.Socks5;
using Windsock.Protocol.Tests.Support;
using Xunit;
using static Windsock.Protocol.Tests.Support.Wire;

namespace Windsock.Protocol.Tests;

public class Socks5ReplyTests
{
    private static readonly Parser<Socks5Reply> Parser = Socks5Reply.TryParse;

    public static TheoryData<string, Socks5ReplyCode, string> Layouts => new()
    {
        { "05 00 00 01 C0A80101 1F90", Socks5ReplyCode.Succeeded, "192.168.1.1:8080" },
        { "05 00 00 04 20010DB8000000000000000000000002 C350", Socks5ReplyCode.Succeeded, "[2001:db8::2]:50000" },
        { "05 00 00 03 09 6C6F63616C686F7374 0438", Socks5ReplyCode.Succeeded, "localhost:1080" },
        { "05 01 00 01 00000000 0000", Socks5ReplyCode.GeneralFailure, "0.0.0.0:0" },
        { "05 05 00 01 00000000 0000", Socks5ReplyCode.ConnectionRefused, "0.0.0.0:0" },
        { "05 08 00 01 00000000 0000", Socks5ReplyCode.AddressTypeNotSupported, "0.0.0.0:0" },
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Parses_rfc_layout_split_at_every_index(string hex, Socks5ReplyCode code, string bound)
    {
        AssertSplitsEverywhere(Parser, Hex(hex), new Socks5Reply(code, Socks5RequestTests.Endpoint(bound)));
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Writes_rfc_layout(string hex, Socks5ReplyCode code, string bound)
    {
        var reply = new Socks5Reply(code, Socks5RequestTests.Endpoint(bound));
        Assert.Equal(Hex(hex), Written(b => reply.Write(b)));
        Assert.Equal(Hex(hex).Length, reply.EncodedLength);
    }

    [Theory]
    [InlineData(Socks5ReplyCode.GeneralFailure)]
    [InlineData(Socks5ReplyCode.NotAllowedByRuleset)]
    [InlineData(Socks5ReplyCode.NetworkUnreachable)]
    [InlineData(Socks5ReplyCode.HostUnreachable)]
    [InlineData(Socks5ReplyCode.ConnectionRefused)]
    [InlineData(Socks5ReplyCode.TtlExpired)]
    [InlineData(Socks5ReplyCode.CommandNotSupported)]
    [InlineData(Socks5ReplyCode.AddressTypeNotSupported)]
    public void Failure_sends_the_code_with_an_unspecified_ipv4_address(Socks5ReplyCode code)
    {
        var bytes = Written(b => Socks5Reply.Failure(code).Write(b));
        Assert.Equal(Concat([0x05, (byte)code], Hex("00 01 00000000 0000")), bytes);
    }

    [Fact]
    public void Rfc_reply_codes_have_their_rfc_values()
    {
        byte[] expected = [0, 1, 2, 3, 4, 5, 6, 7, 8];
        Assert.Equal(expected, Enum.GetValues<Socks5ReplyCode>().Select(c => (byte)c).Order().ToArray());
    }

    [Theory]
    [InlineData(0x09)]
    [InlineData(0x80)]
    [InlineData(0xFF)]
    public void Unassigned_reply_codes_parse(byte code)
    {
        var bytes = Concat([0x05, code], Hex("00 01 00000000 0000"));
        Assert.Equal(ParseResult.Done(10), Socks5Reply.TryParse(bytes, out var reply));
        Assert.Equal((Socks5ReplyCode)code, reply.Code);
    }

    [Theory]
    [InlineData(0x01)]
    [InlineData(0x80)]
    [InlineData(0xFF)]
    public void Nonzero_reserved_byte_fails_once_it_arrives(byte rsv)
    {
        var bytes = Concat([0x05, 0x00, rsv], Hex("01 7F000001 0050"));
        Assert.Equal(ParseResult.NeedMore, Socks5Reply.TryParse(bytes.AsSpan(0, 2), out _));
        Assert.Equal(ParseResult.Fail(ProtocolError.ReservedNotZero), Socks5Reply.TryParse(bytes.AsSpan(0, 3), out _));
        Assert.Equal(ParseResult.Fail(ProtocolError.ReservedNotZero), Socks5Reply.TryParse(bytes, out _));
    }

    [Theory]
    [InlineData("04")]
    [InlineData("00 5A 00 50 7F 00 00 01")]
    [InlineData("01 00")]
    public void Unknown_version_fails(string hex)
    {
        Assert.Equal(ParseResult.Fail(ProtocolError.UnsupportedVersion), Socks5Reply.TryParse(Hex(hex), out _));
    }

    [Fact]
    public void Unknown_atyp_fails()
    {
        Assert.Equal(ParseResult.Fail(ProtocolError.UnsupportedAddressType), Socks5Reply.TryParse(Hex("05 00 00 02"), out _));
    }

    [Fact]
    public void Empty_and_invalid_domains_fail()
    {
        Assert.Equal(ParseResult.Fail(ProtocolError.EmptyHostName), Socks5Reply.TryParse(Hex("05 00 00 03 00 0000"), out _));
        Assert.Equal(ParseResult.Fail(ProtocolError.InvalidHostName), Socks5Reply.TryParse(Hex("05 00 00 03 02 61 20 0000"), out _));
    }

    [Fact]
    public void Longest_reply_has_the_longest_request_length()
    {
        var name = new string('z', 255);
        var reply = new Socks5Reply(Socks5ReplyCode.Succeeded, SocksEndpoint.FromHost(name, 1));
        var bytes = Written(b => reply.Write(b));
        Assert.Equal(SocksLimits.MaxSocks5RequestLength, bytes.Length);
        Assert.Equal(Concat(Hex("05 00 00 03 FF"), Encoding.ASCII.GetBytes(name), Hex("0001")), bytes);
        AssertSplitsEverywhere(Parser, bytes, reply);
    }

    [Fact]
    public void Unspecified_is_ipv4_any_port_zero()
    {
        Assert.Equal(SocksEndpoint.FromAddress(IPAddress.Any, 0), Socks5Reply.Unspecified);
        Assert.Equal(Socks5Reply.Unspecified, Socks5Reply.Failure(Socks5ReplyCode.GeneralFailure).Bound);
    }

    [Fact]
    public void Property_write_then_parse_round_trips()
    {
        Gen.Select(Gen.Byte, Gens.Endpoint).Sample((code, endpoint) =>
        {
            var reply = new Socks5Reply((Socks5ReplyCode)code, endpoint);
            var bytes = Written(b => reply.Write(b));
            Assert.Equal(reply.EncodedLength, bytes.Length);
            Assert.InRange(bytes.Length, 3 + 1 + 1 + 1 + 2, SocksLimits.MaxSocks5RequestLength);
            Assert.Equal(ParseResult.Done(bytes.Length), Parse(Parser, bytes, out var parsed));
            Assert.Equal(reply, parsed);
        }, iter: Gens.RoundTripIterations);
    }

    [Fact]
    public void Property_every_prefix_of_a_valid_reply_needs_more()
    {
        Gen.Select(Gen.Byte, Gens.Endpoint).Sample((code, endpoint) =>
        {
            var reply = new Socks5Reply((Socks5ReplyCode)code, endpoint);
            AssertSplitsEverywhere(Parser, Written(b => reply.Write(b)), reply);
        }, iter: Gens.RoundTripIterations / 4);
    }
}
