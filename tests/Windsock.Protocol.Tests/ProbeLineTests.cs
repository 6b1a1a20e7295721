using System.Text;
using CsCheck;
using Windsock.Protocol.Probes;
using Xunit;

namespace Windsock.Protocol.Tests;

public class ProbeLineTests
{
    private static (ParseResult Result, ProbeLine? Line) Parse(string text, int maxLength = ProbeLine.MaxLength)
    {
        var result = ProbeLine.TryParse(Encoding.ASCII.GetBytes(text), out var line, maxLength);
        return (result, line);
    }

    [Fact]
    public void Writes_the_documented_reply_line()
    {
        var line = new ProbeLine(ProbeWords.Reply, new("seq", "1"), new("from", "127.0.0.1"), new("bytes", "64"), new("ttl", "64"), new("rtt_ms", ProbeLine.Number(0.0614)));
        Assert.Equal("reply seq=1 from=127.0.0.1 bytes=64 ttl=64 rtt_ms=0.061\n", line.ToString());
        var buffer = new byte[ProbeLine.MaxLength];
        int length = line.Write(buffer);
        Assert.Equal(line.ToString(), Encoding.ASCII.GetString(buffer, 0, length));
    }

    [Fact]
    public void Parses_fields_in_order_with_their_values()
    {
        var (result, line) = Parse("hop ttl=2 probe=3 from=2001:db8::1 rtt_ms=12.5 kind=time-exceeded\nnext");
        Assert.Equal(ParseResult.Done(66), result);
        Assert.Equal("hop", line!.Word);
        Assert.Equal(["ttl", "probe", "from", "rtt_ms", "kind"], line.Fields.Select(f => f.Key));
        Assert.True(line.TryGetInt("ttl", out int ttl) && ttl == 2);
        Assert.True(line.TryGetNumber("rtt_ms", out double rtt) && rtt == 12.5);
        Assert.Equal("2001:db8::1", line["from"]);
        Assert.Null(line["seq"]);
    }

    [Fact]
    public void Quotes_reasons_with_spaces_quotes_and_backslashes_and_reads_them_back()
    {
        var reason = "stopped at \"max_count\" = 100 \\ limit";
        var line = new ProbeLine(ProbeWords.Error, new KeyValuePair<string, string>("reason", reason));
        Assert.Equal("error reason=\"stopped at \\\"max_count\\\" = 100 \\\\ limit\"\n", line.ToString());
        var (result, parsed) = Parse(line.ToString());
        Assert.True(result.IsDone);
        Assert.Equal(reason, parsed!["reason"]);
    }

    [Fact]
    public void Control_characters_and_non_ascii_never_travel()
    {
        var line = new ProbeLine(ProbeWords.Error, new KeyValuePair<string, string>("reason", "a\nb\té"));
        Assert.Equal("error reason=\"a?b??\"\n", line.ToString());
    }

    [Fact]
    public void A_crlf_line_is_read_like_an_lf_line()
    {
        var (result, line) = Parse("timeout seq=4\r\n");
        Assert.Equal(ParseResult.Done(15), result);
        Assert.Equal("4", line!["seq"]);
    }

    [Fact]
    public void A_word_alone_is_a_line()
    {
        var (result, line) = Parse("summary\n");
        Assert.True(result.IsDone);
        Assert.Empty(line!.Fields);
    }

    [Theory]
    [InlineData("")]
    [InlineData("reply seq=1")]
    [InlineData("reply seq=1 from=127.0.0")]
    public void Waits_for_the_lf(string text) => Assert.Equal(ParseResult.NeedMore, Parse(text).Result);

    [Theory]
    [InlineData("\n")]                        // no word
    [InlineData("Reply seq=1\n")]             // upper case word
    [InlineData("reply  seq=1\n")]            // two spaces
    [InlineData("reply seq=1 \n")]            // trailing space
    [InlineData("reply seq\n")]               // no "="
    [InlineData("reply seq=\n")]              // empty bare value
    [InlineData("reply 1seq=1\n")]            // key starts with a digit
    [InlineData("reply Seq=1\n")]             // upper case key
    [InlineData("reply seq=1 seq=2\n")]       // key twice
    [InlineData("reply seq=a=b\n")]           // "=" in a bare value
    [InlineData("error reason=\"open\n")]     // unterminated quote
    [InlineData("error reason=\"a\"b\n")]     // junk after the quote
    [InlineData("error reason=\"\\x\"\n")]    // unknown escape
    [InlineData("reply seq=\u00e9\n")]        // 8-bit byte
    public void Refuses_lines_outside_the_grammar(string text)
    {
        var result = ProbeLine.TryParse(Encoding.Latin1.GetBytes(text), out _);
        Assert.Equal(ParseResult.Fail(ProtocolError.InvalidProbeLine), result);
    }

    [Fact]
    public void A_line_without_lf_within_the_limit_is_too_long()
    {
        var text = "error reason=" + new string('x', ProbeLine.MaxOptionsLength);
        Assert.Equal(ParseResult.Fail(ProtocolError.ProbeLineTooLong), Parse(text, ProbeLine.MaxOptionsLength).Result);
        Assert.Equal(ParseResult.NeedMore, Parse(text).Result);
    }

    [Fact]
    public void Writing_drops_trailing_fields_until_the_line_fits()
    {
        var line = new ProbeLine(ProbeWords.Error, new("seq", "1"), new("reason", new string('x', 2000)));
        var buffer = new byte[4096];
        int length = line.Write(buffer);
        Assert.Equal("error seq=1\n", Encoding.ASCII.GetString(buffer, 0, length));
    }

    [Fact]
    public void The_constructor_refuses_keys_outside_the_grammar()
    {
        Assert.Throws<ArgumentException>(() => new ProbeLine("reply", new KeyValuePair<string, string>("Seq", "1")));
        Assert.Throws<ArgumentException>(() => new ProbeLine("reply", new("seq", "1"), new("seq", "2")));
        Assert.Throws<ArgumentException>(() => new ProbeLine("re ply"));
    }

    [Theory]
    [InlineData(0.0004, "0")]
    [InlineData(0.0615, "0.062")]
    [InlineData(12.0, "12")]
    [InlineData(1234.5678, "1234.568")]
    public void Numbers_have_at_most_three_decimals(double value, string text) => Assert.Equal(text, ProbeLine.Number(value));

    [Fact]
    public void Any_fields_round_trip_and_parse_the_same_split_anywhere()
    {
        var key = Gen.Char['a', 'z'].Array[1, 8].Select(c => new string(c));
        var value = Gen.Char[' ', '~'].Array[0, 40].Select(c => new string(c));
        Gen.Select(Gen.Char['a', 'z'].Array[1, 8].Select(c => new string(c)), Gen.Select(key, value).Array[0, 8])
            .Sample((word, pairs) =>
            {
                var unique = pairs.DistinctBy(p => p.Item1).Select(p => new KeyValuePair<string, string>(p.Item1, p.Item2)).ToArray();
                var line = new ProbeLine(word, unique);
                var bytes = Encoding.ASCII.GetBytes(line.ToString());
                Assert.Equal(ParseResult.Done(bytes.Length), ProbeLine.TryParse(bytes, out var parsed));
                Assert.Equal(word, parsed!.Word);
                // An empty value travels quoted ("") and comes back empty.
                Assert.Equal(unique, parsed.Fields);
                for (int split = 0; split < bytes.Length; split++)
                {
                    Assert.Equal(ParseResult.NeedMore, ProbeLine.TryParse(bytes.AsSpan(0, split), out _));
                }
            });
    }

    [Fact]
    public void Arbitrary_bytes_never_throw()
    {
        Gen.Byte.Array[0, 300].Sample(bytes =>
        {
            var result = ProbeLine.TryParse(bytes, out var line);
            Assert.Equal(result.IsDone, line is not null);
        });
    }
}
