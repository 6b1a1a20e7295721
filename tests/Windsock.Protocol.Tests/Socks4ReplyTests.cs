using System.Net;
using CsCheck;
using Windsock.Protocol.Socks4;
using Windsock.Protocol.Tests.Support;
using Xunit;
using static Windsock.Protocol.Tests.Support.Wire;

namespace Windsock.Protocol.Tests;

public class Socks4ReplyTests
{
    private static readonly Parser<Socks4Reply> Parser = Socks4Reply.TryParse;

    public static TheoryData<string, Socks4Reply> Layouts => new()
    {
        { "00 5A 0050 7F000001", new(Socks4ReplyCode.Granted, IPAddress.Parse("127.0.0.1"), 80) },
        { "00 5A 1F90 00000000", new(Socks4ReplyCode.Granted, IPAddress.Any, 8080) },
        { "00 5B 0000 00000000", new(Socks4ReplyCode.RejectedOrFailed, IPAddress.Any, 0) },
        { "00 5C 0000 00000000", new(Socks4ReplyCode.IdentUnreachable, IPAddress.Any, 0) },
        { "00 5D FFFF FFFFFFFF", new(Socks4ReplyCode.IdentMismatch, IPAddress.Broadcast, 65535) },
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Parses_layout_split_at_every_index(string hex, Socks4Reply expected)
    {
        AssertSplitsEverywhere(Parser, Hex(hex), expected);
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Writes_layout(string hex, Socks4Reply reply)
    {
        Assert.Equal(Hex(hex), Written(b => reply.Write(b)));
    }

    [Fact]
    public void Reply_codes_have_their_protocol_values()
    {
        Assert.Equal(90, (byte)Socks4ReplyCode.Granted);
        Assert.Equal(91, (byte)Socks4ReplyCode.RejectedOrFailed);
        Assert.Equal(92, (byte)Socks4ReplyCode.IdentUnreachable);
        Assert.Equal(93, (byte)Socks4ReplyCode.IdentMismatch);
    }

    [Theory]
    [InlineData(Socks4ReplyCode.RejectedOrFailed, "00 5B 0000 00000000")]
    [InlineData(Socks4ReplyCode.IdentUnreachable, "00 5C 0000 00000000")]
    [InlineData(Socks4ReplyCode.IdentMismatch, "00 5D 0000 00000000")]
    public void Failure_sends_zero_address_and_port(Socks4ReplyCode code, string hex)
    {
        Assert.Equal(Hex(hex), Written(b => Socks4Reply.Failure(code).Write(b)));
    }

    [Fact]
    public void Ipv6_address_is_sent_as_zeros()
    {
        var reply = new Socks4Reply(Socks4ReplyCode.Granted, IPAddress.Parse("2001:db8::1"), 1080);
        Assert.Equal(Hex("00 5A 0438 00000000"), Written(b => reply.Write(b)));
    }

    [Fact]
    public void Ipv4_mapped_address_is_sent_as_ipv4()
    {
        var reply = new Socks4Reply(Socks4ReplyCode.Granted, IPAddress.Parse("::ffff:198.51.100.7"), 1080);
        Assert.Equal(Hex("00 5A 0438 C6336407"), Written(b => reply.Write(b)));
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x01)]
    [InlineData(0x5E)]
    [InlineData(0xFF)]
    public void Unknown_reply_codes_parse(byte code)
    {
        Assert.Equal(ParseResult.Done(8), Socks4Reply.TryParse(Concat([0x00, code], Hex("0050 01020304")), out var reply));
        Assert.Equal((Socks4ReplyCode)code, reply.Code);
    }

    [Theory]
    [InlineData("04")]
    [InlineData("04 5A 0050 7F000001")]
    [InlineData("05 00 00 01 7F000001 0050")]
    [InlineData("FF")]
    public void Nonzero_version_fails_on_the_first_byte(string hex)
    {
        Assert.Equal(ParseResult.Fail(ProtocolError.UnsupportedVersion), Socks4Reply.TryParse(Hex(hex), out _));
    }

    [Fact]
    public void Property_write_then_parse_round_trips()
    {
        Gen.Select(Gen.Byte, Gens.IPv4, Gens.Port).Sample((code, address, port) =>
        {
            var reply = new Socks4Reply((Socks4ReplyCode)code, address, port);
            var bytes = Written(b => reply.Write(b));
            Assert.Equal(Socks4Reply.Length, bytes.Length);
            AssertSplitsEverywhere(Parser, bytes, reply);
        }, iter: Gens.RoundTripIterations);
    }
}
