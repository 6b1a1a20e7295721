using System.Text;
using CsCheck;
using Windsock.Protocol.Tests.Support;
using Windsock.Protocol.UsernamePassword;
using Xunit;
using static Windsock.Protocol.Tests.Support.Wire;

namespace Windsock.Protocol.Tests;

public class UsernamePasswordRequestTests
{
    private static readonly Parser<UsernamePasswordRequest> Parser = UsernamePasswordRequest.TryParse;

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    public static TheoryData<string, string, string> Layouts => new()
    {
        { "01 04 75736572 06 736563726574", "user", "secret" },
        { "01 01 61 01 62", "a", "b" },
        // UTF-8: "jörg" / "€".
        { "01 05 6AC3B67267 03 E282AC", "jörg", "€" },
        // A password may hold spaces and NULs; only its length delimits it.
        { "01 01 78 03 20 00 20", "x", " \0 " },
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Parses_rfc_layout_split_at_every_index(string hex, string user, string password)
    {
        AssertSplitsEverywhere(Parser, Hex(hex), new UsernamePasswordRequest(user, password));
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Writes_rfc_layout(string hex, string user, string password)
    {
        Assert.Equal(Hex(hex), Written(b => new UsernamePasswordRequest(user, password).Write(b)));
    }

    [Fact]
    public void Zero_user_length_fails_at_once()
    {
        Assert.Equal(ParseResult.Fail(ProtocolError.EmptyUserName), UsernamePasswordRequest.TryParse(Hex("01 00"), out _));
        Assert.Equal(ParseResult.Fail(ProtocolError.EmptyUserName), UsernamePasswordRequest.TryParse(Hex("01 00 01 61"), out _));
    }

    [Fact]
    public void Zero_password_length_fails_when_plen_arrives()
    {
        var bytes = Hex("01 04 75736572 00");
        Assert.Equal(ParseResult.NeedMore, UsernamePasswordRequest.TryParse(bytes.AsSpan(0, bytes.Length - 1), out _));
        Assert.Equal(ParseResult.Fail(ProtocolError.EmptyPassword), UsernamePasswordRequest.TryParse(bytes, out _));
    }

    [Fact]
    public void User_and_password_of_255_bytes_are_the_longest_request()
    {
        var user = new string('u', 255);
        var password = new string('p', 255);
        var bytes = Concat([0x01, 0xFF], Utf8(user), [0xFF], Utf8(password));
        Assert.Equal(SocksLimits.MaxUsernamePasswordRequestLength, bytes.Length);
        var expected = new UsernamePasswordRequest(user, password);
        AssertSplitsEverywhere(Parser, bytes, expected);
        Assert.Equal(bytes, Written(b => expected.Write(b)));
    }

    [Theory]
    [InlineData("05")]
    [InlineData("05 01 00")]
    [InlineData("00 01 61 01 62")]
    [InlineData("02 01 61 01 62")]
    public void Version_other_than_1_fails(string hex)
    {
        Assert.Equal(ParseResult.Fail(ProtocolError.UnsupportedVersion), UsernamePasswordRequest.TryParse(Hex(hex), out _));
    }

    [Fact]
    public void Invalid_utf8_decodes_to_replacement_characters()
    {
        var bytes = Hex("01 02 C3 28 01 FF");
        Assert.Equal(ParseResult.Done(6), UsernamePasswordRequest.TryParse(bytes, out var request));
        Assert.Equal("\uFFFD(", request.UserName);
        Assert.Equal("\uFFFD", request.Password);
    }

    [Fact]
    public void ToString_hides_the_password()
    {
        var text = new UsernamePasswordRequest("alice", "hunter2").ToString();
        Assert.Contains("alice", text, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Writer_rejects_empty_and_overlong_credentials()
    {
        var buffer = new byte[1024];
        var ok = new string('a', 255);
        var tooLong = new string('a', 256);
        var tooLongInUtf8 = new string('é', 128); // 128 characters, 256 bytes.
        Assert.Throws<InvalidOperationException>(() => new UsernamePasswordRequest("", "p").Write(buffer));
        Assert.Throws<InvalidOperationException>(() => new UsernamePasswordRequest("u", "").Write(buffer));
        Assert.Throws<InvalidOperationException>(() => new UsernamePasswordRequest(tooLong, "p").Write(buffer));
        Assert.Throws<InvalidOperationException>(() => new UsernamePasswordRequest("u", tooLong).Write(buffer));
        Assert.Throws<InvalidOperationException>(() => new UsernamePasswordRequest(tooLongInUtf8, "p").Write(buffer));
        Assert.Throws<InvalidOperationException>(() => new UsernamePasswordRequest("u", tooLongInUtf8).Write(buffer));
        Assert.Equal(3 + 255 + 255, new UsernamePasswordRequest(ok, ok).Write(buffer));
    }

    [Fact]
    public void Writer_counts_lengths_in_utf8_bytes()
    {
        var user = new string('é', 127) + "a"; // 255 bytes.
        var bytes = Written(b => new UsernamePasswordRequest(user, "\U0001F600").Write(b));
        Assert.Equal(0xFF, bytes[1]);
        Assert.Equal(0x04, bytes[2 + 255]);
        Assert.Equal(3 + 255 + 4, bytes.Length);
    }

    [Fact]
    public void Property_write_then_parse_round_trips()
    {
        Gen.Select(Gens.Credential, Gens.Credential).Sample((user, password) =>
        {
            var request = new UsernamePasswordRequest(user, password);
            var bytes = Written(b => request.Write(b));
            Assert.Equal(3 + Encoding.UTF8.GetByteCount(user) + Encoding.UTF8.GetByteCount(password), bytes.Length);
            Assert.Equal(ParseResult.Done(bytes.Length), Parse(Parser, bytes, out var parsed));
            Assert.Equal(request, parsed);
        }, iter: Gens.RoundTripIterations);
    }

    [Fact]
    public void Property_every_prefix_of_a_valid_request_needs_more()
    {
        Gen.Select(Gens.Credential, Gens.Credential).Sample((user, password) =>
        {
            var request = new UsernamePasswordRequest(user, password);
            AssertSplitsEverywhere(Parser, Written(b => request.Write(b)), request);
        }, iter: Gens.RoundTripIterations / 4);
    }
}
