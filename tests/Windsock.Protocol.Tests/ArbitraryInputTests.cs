using CsCheck;
using Windsock.Protocol.Gssapi;
using Windsock.Protocol.ProxyProtocol;
using Windsock.Protocol.Socks4;
using Windsock.Protocol.Socks5;
using Windsock.Protocol.Tests.Support;
using Windsock.Protocol.UsernamePassword;
using Xunit;
using static Windsock.Protocol.Tests.Support.Wire;

namespace Windsock.Protocol.Tests;

/// <summary>
/// Every parser against hostile input: random bytes (0 to 600 of them) never throw, Done never claims more
/// than it was given, and feeding the same bytes one at a time behaves like a stream should.
/// </summary>
public class ArbitraryInputTests
{
    /// <summary>Headers that steer random bytes past the version checks into the deeper parsing paths.</summary>
    private static readonly byte[][] Headers =
    [
        [],
        [0x04], [0x04, 0x01], [0x04, 0x02], [0x04, 0x01, 0x00, 0x50, 0, 0, 0, 1], [0x04, 0x02, 0x00, 0x50, 0, 0, 0, 0],
        [0x05], [0x05, 0x01, 0x00], [0x05, 0x01, 0x00, 0x01], [0x05, 0x01, 0x00, 0x03], [0x05, 0x01, 0x00, 0x04], [0x05, 0x00, 0x00, 0x03],
        [0x01], [0x03], [0x04], [0x01, 0x05], [0x00], [0x00, 0x5A],
        [0x01, 0x01, 0x00], [0x01, 0x03, 0x00, 0x05], [0x01, 0x02, 0x00, 0x01],
        // PROXY protocol: the v1 keyword and protocols, the v2 signature with each command and family.
        "PROXY "u8.ToArray(), "PROXY TCP4 "u8.ToArray(), "PROXY TCP6 "u8.ToArray(), "PROXY UNKNOWN"u8.ToArray(),
        [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x21, 0x11, 0x00],
        [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x21, 0x21, 0x00],
        [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x20, 0x00, 0x00],
        [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x21, 0x11, 0x00, 0x20, 10, 0, 0, 1, 10, 0, 0, 2, 0, 1, 0, 2],
    ];

    private static readonly Gen<byte> SmallByte = Gen.Int[0, 8].Select(i => (byte)i);
    private static readonly Gen<byte> PrintableByte = Gen.Int[0x1F, 0x80].Select(i => (byte)i);

    /// <summary>0 to 600 bytes: fully random, or a plausible header then bytes rich in NULs, small lengths or printable text.</summary>
    public static readonly Gen<byte[]> Input = Gen.Frequency(
        (3, Gen.Byte.Array[0, 600]),
        (6, Gen.Select(
            Gen.OneOf(Headers.Select(Gen.Const).ToArray()),
            Gen.Frequency(
                (2, Gen.Byte.Array[0, 600]),
                (2, SmallByte.Array[0, 600]),
                (3, PrintableByte.Array[0, 600]),
                (1, Gen.Frequency((20, PrintableByte), (1, Gen.Const((byte)0))).Array[0, 600])),
            (header, tail) => Concat(header, tail)[..Math.Min(600, header.Length + tail.Length)])));

    [Fact]
    public void Socks5_greeting() => AssertWellBehaved<Socks5Greeting>(Socks5Greeting.TryParse, SocksLimits.MaxSocks5GreetingLength);

    [Fact]
    public void Socks5_method_selection() => AssertWellBehaved<byte>(Socks5MethodSelection.TryParse, Socks5MethodSelection.Length);

    [Fact]
    public void Socks5_address() => AssertWellBehaved<SocksEndpoint>(Socks5Address.TryRead, SocksLimits.MaxSocks5RequestLength - 3);

    [Fact]
    public void Socks5_request() => AssertWellBehaved<Socks5Request>(Socks5Request.TryParse, SocksLimits.MaxSocks5RequestLength);

    [Fact]
    public void Socks5_reply() => AssertWellBehaved<Socks5Reply>(Socks5Reply.TryParse, SocksLimits.MaxSocks5RequestLength);

    [Fact]
    public void Socks4_request() => AssertWellBehaved<Socks4Request>(Socks4Request.TryParse, SocksLimits.MaxSocks4RequestLength);

    [Fact]
    public void Socks4_reply() => AssertWellBehaved<Socks4Reply>(Socks4Reply.TryParse, Socks4Reply.Length);

    [Fact]
    public void Username_password_request() => AssertWellBehaved<UsernamePasswordRequest>(UsernamePasswordRequest.TryParse, SocksLimits.MaxUsernamePasswordRequestLength);

    [Fact]
    public void Username_password_reply() => AssertWellBehaved<bool>(UsernamePasswordReply.TryParse, UsernamePasswordReply.Length);

    [Fact]
    public void Gssapi_message() => AssertWellBehaved<GssapiMessage>(GssapiMessage.TryParse, GssapiMessage.HeaderLength + GssapiMessage.MaxTokenLength);

    [Fact]
    public void Proxy_protocol_header() => AssertWellBehaved<ProxyHeader>(ProxyHeader.TryParse, ProxyHeader.MaxLength);

    private static void AssertWellBehaved<T>(Parser<T> parser, int maxMessageLength)
    {
        // Whole inputs: never throws, well-formed result, and a message is never longer than the limit says.
        Input.Sample(input =>
        {
            var result = Parse(parser, input, out _);
            if (result.IsDone)
            {
                Assert.InRange(result.Consumed, 1, maxMessageLength);
            }
        }, iter: Gens.FuzzIterations);

        // Every prefix of the same input, as a stream delivers it: NeedMore until the message is complete,
        // then Done with the same length and value however many bytes follow; an error stays an error.
        Input.Sample(input =>
        {
            var first = Parse(parser, [], out _);
            Assert.Equal(ParseResult.NeedMore, first);

            ParseResult settled = first;
            T? settledValue = default;
            int settledAt = 0;
            for (int length = 1; length <= input.Length; length++)
            {
                if (settled.Status != ParseStatus.NeedMore && length > settledAt + 16 && length < input.Length)
                {
                    // Settled a while ago: skip to the whole input rather than repeat the same answer 600 times.
                    length = input.Length;
                }

                var result = Parse(parser, input.AsSpan(0, length), out var value);
                switch (settled.Status)
                {
                    case ParseStatus.NeedMore:
                        if (result.IsDone)
                        {
                            Assert.Equal(length, result.Consumed);
                        }

                        settled = result;
                        settledValue = value;
                        settledAt = length;
                        break;
                    case ParseStatus.Done:
                        Assert.Equal(settled, result);
                        Assert.Equal(settledValue, value);
                        break;
                    default:
                        Assert.True(result.IsError, $"Error at {settledAt} bytes ({settled.Error}) became {result} at {length}.");
                        break;
                }
            }
        }, iter: Gens.FuzzIterations / 3);
    }
}
