using Windsock.Protocol.Socks5;
using Windsock.Protocol.Tests.Support;
using Xunit;
using static Windsock.Protocol.Tests.Support.Wire;

namespace Windsock.Protocol.Tests;

public class Socks5MethodSelectionTests
{
    private static readonly Parser<byte> Parser = Socks5MethodSelection.TryParse;

    [Theory]
    [InlineData(AuthMethod.None, "05 00")]
    [InlineData(AuthMethod.Gssapi, "05 01")]
    [InlineData(AuthMethod.UsernamePassword, "05 02")]
    [InlineData(AuthMethod.NoAcceptableMethods, "05 FF")]
    public void Writes_rfc_layout(AuthMethod method, string hex)
    {
        Assert.Equal(Hex(hex), Written(b => Socks5MethodSelection.Write(b, method)));
        Assert.Equal(Hex(hex), Written(b => Socks5MethodSelection.Write(b, (byte)method)));
    }

    [Theory]
    [InlineData("05 00", 0x00)]
    [InlineData("05 02", 0x02)]
    [InlineData("05 80", 0x80)]
    [InlineData("05 FF", 0xFF)]
    public void Parses_rfc_layout_and_splits_at_every_index(string hex, byte method)
    {
        AssertSplitsEverywhere(Parser, Hex(hex), method);
    }

    [Fact]
    public void Every_method_byte_round_trips()
    {
        for (int m = 0; m < 256; m++)
        {
            var bytes = Written(b => Socks5MethodSelection.Write(b, (byte)m));
            Assert.Equal(Socks5MethodSelection.Length, bytes.Length);
            Assert.Equal(ParseResult.Done(2), Socks5MethodSelection.TryParse(bytes, out var parsed));
            Assert.Equal((byte)m, parsed);
        }
    }

    [Theory]
    [InlineData("01")]
    [InlineData("01 00")]
    [InlineData("04 00")]
    [InlineData("00 00")]
    public void Unknown_version_fails(string hex)
    {
        Assert.Equal(ParseResult.Fail(ProtocolError.UnsupportedVersion), Socks5MethodSelection.TryParse(Hex(hex), out _));
    }
}
