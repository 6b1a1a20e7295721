using Windsock.Protocol.Tests.Support;
using Windsock.Protocol.UsernamePassword;
using Xunit;
using static Windsock.Protocol.Tests.Support.Wire;

namespace Windsock.Protocol.Tests;

public class UsernamePasswordReplyTests
{
    private static readonly Parser<bool> Parser = UsernamePasswordReply.TryParse;

    [Theory]
    [InlineData(true, "01 00")]
    [InlineData(false, "01 01")]
    public void Writes_rfc_layout(bool success, string hex)
    {
        Assert.Equal(Hex(hex), Written(b => UsernamePasswordReply.Write(b, success)));
    }

    [Theory]
    [InlineData("01 00", true)]
    [InlineData("01 01", false)]
    [InlineData("01 02", false)]
    [InlineData("01 80", false)]
    [InlineData("01 FF", false)]
    public void Status_zero_is_success_and_anything_else_failure(string hex, bool success)
    {
        AssertSplitsEverywhere(Parser, Hex(hex), success);
    }

    [Theory]
    [InlineData("05 00")]
    [InlineData("05")]
    [InlineData("00 00")]
    [InlineData("02 00")]
    public void Version_other_than_1_fails(string hex)
    {
        Assert.Equal(ParseResult.Fail(ProtocolError.UnsupportedVersion), UsernamePasswordReply.TryParse(Hex(hex), out var success));
        Assert.False(success);
    }

    [Fact]
    public void Every_status_byte_round_trips_to_success_only_for_zero()
    {
        for (int status = 0; status < 256; status++)
        {
            Assert.Equal(ParseResult.Done(UsernamePasswordReply.Length), UsernamePasswordReply.TryParse([0x01, (byte)status], out var success));
            Assert.Equal(status == 0, success);
        }
    }
}
