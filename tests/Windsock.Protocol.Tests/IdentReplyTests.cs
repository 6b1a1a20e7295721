using System.Text;
using CsCheck;
using Windsock.Protocol.Ident;
using Xunit;

namespace Windsock.Protocol.Tests;

public class IdentReplyTests
{
    private static (ParseResult Result, IdentReply Reply) Parse(string line)
    {
        var result = IdentReply.TryParse(Encoding.UTF8.GetBytes(line), out var reply);
        return (result, reply);
    }

    [Theory]
    [InlineData("6193, 23 : USERID : UNIX : stjohns\r\n", 6193, 23, "UNIX", "stjohns")] // RFC 1413's example
    [InlineData("34108,45761:USERID:UNIX:root\r\n", 34108, 45761, "UNIX", "root")]      // oidentd's spacing
    [InlineData("1,2 : USERID : UNIX , US-ASCII : alice\n", 1, 2, "UNIX", "alice")]      // charset, bare LF
    [InlineData("1,2:USERID:OTHER:a:b:c\r\n", 1, 2, "OTHER", "a:b:c")]                   // colons in the user id
    [InlineData("65535 , 65535 : userid : UNIX :  spaced  \r\n", 65535, 65535, "UNIX", "spaced")]
    public void Parses_userid_replies(string line, int queried, int querying, string system, string user)
    {
        var (result, reply) = Parse(line);
        Assert.Equal(ParseResult.Done(Encoding.UTF8.GetByteCount(line)), result);
        Assert.Equal(IdentReplyKind.UserId, reply.Kind);
        Assert.Equal((ushort)queried, reply.PortOnQueriedHost);
        Assert.Equal((ushort)querying, reply.PortOnQueryingHost);
        Assert.Equal(system, reply.OperatingSystem);
        Assert.Equal(user, reply.UserId);
    }

    [Theory]
    [InlineData("6195, 23 : ERROR : NO-USER\r\n", "NO-USER")]
    [InlineData("6195,23:ERROR:HIDDEN-USER\r\n", "HIDDEN-USER")]
    [InlineData("6195,23:ERROR:X-CUSTOM\n", "X-CUSTOM")]
    public void Parses_error_replies(string line, string error)
    {
        var (result, reply) = Parse(line);
        Assert.True(result.IsDone);
        Assert.Equal(IdentReplyKind.Error, reply.Kind);
        Assert.Equal(error, reply.Error);
    }

    [Theory]
    [InlineData("1,2:USERID:UNIX:\r\n")]            // empty user
    [InlineData("1,2:USERID::alice\r\n")]           // empty system
    [InlineData("1,2:USERID:UNIX\r\n")]             // missing field
    [InlineData("1,2:ERROR:\r\n")]
    [InlineData("1,2:MAYBE:UNIX:alice\r\n")]
    [InlineData("0,2:USERID:UNIX:alice\r\n")]       // port 0
    [InlineData("1,70000:USERID:UNIX:alice\r\n")]
    [InlineData("1;2:USERID:UNIX:alice\r\n")]
    [InlineData("1,2:USERID:UNIX:ali\u0007ce\r\n")] // control character in the user id
    [InlineData("garbage\r\n")]
    [InlineData("\r\n")]
    public void Rejects_malformed_lines(string line)
    {
        var (result, _) = Parse(line);
        Assert.Equal(ParseStatus.Error, result.Status);
        Assert.Equal(ProtocolError.InvalidIdentReply, result.Error);
    }

    [Fact]
    public void Rejects_NUL_and_invalid_UTF8()
    {
        Assert.True(IdentReply.TryParse("1,2:USERID:UNIX:a\0b\r\n"u8, out _).IsError);
        Assert.True(IdentReply.TryParse([.. "1,2:USERID:UNIX:"u8, 0xFF, 0xFE, (byte)'\n'], out _).IsError);
    }

    [Fact]
    public void Needs_more_until_the_line_ends_then_takes_exactly_the_line()
    {
        var line = Encoding.ASCII.GetBytes("6193, 23 : USERID : UNIX : stjohns\r\n");
        for (int i = 0; i < line.Length; i++)
        {
            Assert.Equal(ParseStatus.NeedMore, IdentReply.TryParse(line.AsSpan(0, i), out _).Status);
        }

        Assert.Equal(ParseResult.Done(line.Length), IdentReply.TryParse([.. line, .. "extra"u8], out _));
    }

    [Fact]
    public void A_line_longer_than_1000_bytes_fails_without_waiting_for_its_end()
    {
        var endless = Enumerable.Repeat((byte)'a', IdentReply.MaxLineLength).ToArray();
        Assert.True(IdentReply.TryParse(endless, out _).IsError);
        Assert.True(IdentReply.TryParse([.. Enumerable.Repeat((byte)'a', 1200), (byte)'\n'], out _).IsError);
    }

    [Fact]
    public void Arbitrary_bytes_never_throw()
    {
        Gen.Byte.Array[0, 1100].Sample(bytes =>
        {
            var result = IdentReply.TryParse(bytes, out _);
            Assert.True(result.Consumed <= bytes.Length);
        }, iter: 3000);
    }

    [Fact]
    public void Query_has_the_rfc_layout()
    {
        var buffer = new byte[IdentQuery.MaxLength];
        int length = IdentQuery.Write(buffer, 65535, 1080);
        Assert.Equal("65535 , 1080\r\n"u8.ToArray(), buffer[..length]);
    }
}
