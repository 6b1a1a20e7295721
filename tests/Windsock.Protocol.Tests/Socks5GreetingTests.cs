using CsCheck;
using Windsock.Protocol.Socks5;
using Windsock.Protocol.Tests.Support;
using Xunit;
using static Windsock.Protocol.Tests.Support.Wire;

namespace Windsock.Protocol.Tests;

public class Socks5GreetingTests
{
    private static readonly Parser<Socks5Greeting> Parser = Socks5Greeting.TryParse;

    [Fact]
    public void Parses_rfc_layout()
    {
        var result = Socks5Greeting.TryParse([0x05, 0x02, 0x00, 0x02], out var greeting);
        Assert.Equal(ParseResult.Done(4), result);
        Assert.True(greeting.Methods.Contains(AuthMethod.None));
        Assert.True(greeting.Methods.Contains(AuthMethod.UsernamePassword));
        Assert.False(greeting.Methods.Contains(AuthMethod.Gssapi));
        Assert.Equal(2, greeting.Methods.Count);
    }

    [Fact]
    public void Writes_rfc_layout()
    {
        var bytes = Written(b => Socks5Greeting.Write(b, [0x00, 0x02]));
        Assert.Equal(Hex("05 02 00 02"), bytes);
    }

    [Fact]
    public void Writer_keeps_the_clients_order_of_preference()
    {
        var bytes = Written(b => Socks5Greeting.Write(b, [0x02, 0x01, 0x00]));
        Assert.Equal(Hex("05 03 02 01 00"), bytes);
    }

    [Theory]
    [InlineData("05 01 00")]
    [InlineData("05 01 02")]
    [InlineData("05 01 FF")]
    [InlineData("05 02 00 02")]
    [InlineData("05 03 00 01 02")]
    [InlineData("05 00")]
    public void Splits_at_every_index(string hex)
    {
        var message = Hex(hex);
        AssertSplitsEverywhere(Parser, message, new Socks5Greeting(MethodSet.From(message.AsSpan(2))));
    }

    [Fact]
    public void Zero_methods_parse_as_an_empty_set()
    {
        var result = Socks5Greeting.TryParse(Hex("05 00"), out var greeting);
        Assert.Equal(ParseResult.Done(2), result);
        Assert.True(greeting.Methods.IsEmpty);
        Assert.Equal(MethodSet.Empty, greeting.Methods);
    }

    [Fact]
    public void Zero_methods_do_not_consume_what_follows()
    {
        var result = Socks5Greeting.TryParse(Hex("05 00 05 01 00"), out var greeting);
        Assert.Equal(ParseResult.Done(2), result);
        Assert.True(greeting.Methods.IsEmpty);
    }

    [Fact]
    public void Two_hundred_fifty_five_methods_parse()
    {
        var methods = Enumerable.Range(0, 255).Select(i => (byte)i).ToArray();
        var message = Concat([0x05, 0xFF], methods);
        Assert.Equal(SocksLimits.MaxSocks5GreetingLength, message.Length);

        AssertSplitsEverywhere(Parser, message, new Socks5Greeting(MethodSet.From(methods)));
        Socks5Greeting.TryParse(message, out var greeting);
        Assert.Equal(255, greeting.Methods.Count);
        Assert.False(greeting.Methods.Contains(AuthMethod.NoAcceptableMethods));
    }

    [Fact]
    public void Writer_accepts_255_methods()
    {
        var methods = Repeat(0x02, 255);
        var bytes = Written(b => Socks5Greeting.Write(b, methods));
        Assert.Equal(Concat([0x05, 0xFF], methods), bytes);
    }

    [Fact]
    public void Duplicate_methods_collapse()
    {
        var result = Socks5Greeting.TryParse(Hex("05 04 02 00 02 00"), out var greeting);
        Assert.Equal(ParseResult.Done(6), result);
        Assert.Equal(MethodSet.Empty.With(AuthMethod.None).With(AuthMethod.UsernamePassword), greeting.Methods);
    }

    [Theory]
    [InlineData("04")]
    [InlineData("00")]
    [InlineData("01 01 00")]
    [InlineData("FF 01 00")]
    [InlineData("06 01 00")]
    public void Unknown_version_fails_on_the_first_byte(string hex)
    {
        Assert.Equal(ParseResult.Fail(ProtocolError.UnsupportedVersion), Socks5Greeting.TryParse(Hex(hex), out _));
    }

    [Fact]
    public void Empty_input_needs_more()
    {
        Assert.Equal(ParseResult.NeedMore, Socks5Greeting.TryParse([], out _));
    }

    [Fact]
    public void Writer_rejects_no_methods_and_too_many()
    {
        var buffer = new byte[600];
        Assert.Throws<ArgumentException>(() => Socks5Greeting.Write(buffer, []));
        Assert.Throws<ArgumentException>(() => Socks5Greeting.Write(buffer, new byte[256]));
    }

    [Fact]
    public void Property_write_then_parse_round_trips()
    {
        Gens.Methods.Sample(methods =>
        {
            var bytes = Written(b => Socks5Greeting.Write(b, methods));
            Assert.Equal(2 + methods.Length, bytes.Length);
            Assert.Equal(methods, bytes[2..]);
            var result = Parse(Parser, bytes, out var greeting);
            Assert.Equal(ParseResult.Done(bytes.Length), result);
            Assert.Equal(MethodSet.From(methods), greeting.Methods);
        }, iter: Gens.RoundTripIterations);
    }

    [Fact]
    public void Property_every_prefix_of_a_valid_greeting_needs_more()
    {
        Gens.Methods.Sample(methods =>
        {
            var bytes = Written(b => Socks5Greeting.Write(b, methods));
            AssertSplitsEverywhere(Parser, bytes, new Socks5Greeting(MethodSet.From(methods)));
        }, iter: Gens.RoundTripIterations / 4);
    }
}
