using Windsock.Protocol.Gssapi;
using Windsock.Protocol.Tests.Support;
using Xunit;
using static Windsock.Protocol.Tests.Support.Wire;

namespace Windsock.Protocol.Tests;

public class GssapiMessageTests
{
    private static readonly Parser<GssapiMessage> Parser = GssapiMessage.TryParse;

    [Theory]
    [InlineData("01 01 00 03 AA BB CC", GssapiMessageType.ContextToken, "AA BB CC")]
    [InlineData("01 02 00 01 02", GssapiMessageType.ProtectionLevel, "02")]
    [InlineData("01 03 00 00", GssapiMessageType.Encapsulated, "")]
    [InlineData("01 FF", GssapiMessageType.Abort, "")]
    public void Parses_each_message_type_split_anywhere(string hex, GssapiMessageType type, string token)
    {
        var bytes = Hex(hex);
        AssertSplitsEverywhere(Parser, bytes, new GssapiMessage(type, Hex(token).Length));
        GssapiMessage.TryParse(bytes, out var message);
        Assert.Equal(Hex(token), message.TokenIn(bytes).ToArray());
    }

    [Fact]
    public void Length_is_big_endian_and_reaches_65535()
    {
        var bytes = Concat(Hex("01 03 FF FF"), Repeat(0x5A, 65535));
        Assert.Equal(ParseResult.NeedMore, GssapiMessage.TryParse(bytes.AsSpan(0, 65538), out _));
        Assert.Equal(ParseResult.Done(65539), GssapiMessage.TryParse(bytes, out var message));
        Assert.Equal(65535, message.TokenLength);

        Assert.Equal(ParseResult.Done(4 + 0x0102), GssapiMessage.TryParse(Concat(Hex("01 01 01 02"), Repeat(1, 0x0102)), out message));
        Assert.Equal(0x0102, message.TokenLength);
    }

    [Theory]
    [InlineData("05 01 00 00")]
    [InlineData("00 FF")]
    [InlineData("02 03 00 00")]
    public void Version_other_than_1_fails(string hex)
    {
        Assert.Equal(ParseResult.Fail(ProtocolError.UnsupportedVersion), GssapiMessage.TryParse(Hex(hex), out _));
    }

    [Theory]
    [InlineData("01 00 00 00")]
    [InlineData("01 04 00 00")]
    [InlineData("01 FE")]
    public void Unknown_message_type_fails_before_the_length_arrives(string hex)
    {
        Assert.Equal(ParseResult.Fail(ProtocolError.UnknownGssapiMessageType), GssapiMessage.TryParse(Hex(hex), out _));
    }

    [Fact]
    public void Writes_rfc_layout()
    {
        Assert.Equal(Hex("01 01 00 02 DE AD"), Written(b => GssapiMessage.Write(b, GssapiMessageType.ContextToken, Hex("DE AD"))));
        Assert.Equal(Hex("01 02 00 01 00"), Written(b => GssapiMessage.Write(b, GssapiMessageType.ProtectionLevel, [0])));
        Assert.Equal(Hex("01 FF"), Written(b => GssapiMessage.WriteAbort(b)));
    }

    [Fact]
    public void Write_refuses_tokens_the_frame_cannot_carry()
    {
        var big = new byte[70000];
        Assert.Throws<ArgumentException>(() => GssapiMessage.Write(big, GssapiMessageType.Encapsulated, new byte[65536]));
        Assert.Throws<ArgumentException>(() => GssapiMessage.Write(big, GssapiMessageType.Abort, []));
    }

    [Fact]
    public void Written_messages_parse_back()
    {
        var buffer = new byte[300];
        var token = Enumerable.Range(0, 250).Select(i => (byte)i).ToArray();
        int length = GssapiMessage.Write(buffer, GssapiMessageType.Encapsulated, token);
        Assert.Equal(ParseResult.Done(length), GssapiMessage.TryParse(buffer.AsSpan(0, length), out var message));
        Assert.Equal(GssapiMessageType.Encapsulated, message.Type);
        Assert.Equal(token, message.TokenIn(buffer).ToArray());
    }
}
