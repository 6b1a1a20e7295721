using Xunit;

namespace Windsock.Protocol.Tests.Support;

/// <summary>Any of the library's parsers: all bytes received so far in, a result and a value out.</summary>
public delegate ParseResult Parser<T>(ReadOnlySpan<byte> input, out T value);

/// <summary>Helpers that turn readable hex into bytes and check the incremental-parsing contract.</summary>
public static class Wire
{
    /// <summary>Hex with optional spaces, e.g. "05 01 00" → [5, 1, 0].</summary>
    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    public static byte[] Repeat(byte value, int count) => Enumerable.Repeat(value, count).ToArray();

    /// <summary>Runs a parser, checking the promise that Done never claims more bytes than it was given.</summary>
    public static ParseResult Parse<T>(Parser<T> parser, ReadOnlySpan<byte> input, out T value)
    {
        var result = parser(input, out value);
        CheckShape(result, input.Length);
        return result;
    }

    /// <summary>
    /// The whole message parses to Done with exactly its length and <paramref name="expected"/>;
    /// every proper prefix (cut at every index) is NeedMore; the same message followed by
    /// trailing bytes consumes exactly the message and nothing more.
    /// </summary>
    public static void AssertSplitsEverywhere<T>(Parser<T> parser, byte[] message, T expected)
    {
        for (int cut = 0; cut < message.Length; cut++)
        {
            var partial = Parse(parser, message.AsSpan(0, cut), out _);
            if (partial != ParseResult.NeedMore)
            {
                Assert.Fail($"Prefix of {cut}/{message.Length} bytes gave {partial}, expected NeedMore.");
            }
        }

        var whole = Parse(parser, message, out var value);
        Assert.Equal(ParseResult.Done(message.Length), whole);
        Assert.Equal(expected, value);

        var withTrailing = Concat(message, [0x05, 0x00, 0xFF, 0x04, 0x01]);
        var trailing = Parse(parser, withTrailing, out var again);
        Assert.Equal(ParseResult.Done(message.Length), trailing);
        Assert.Equal(expected, again);
    }

    /// <summary>The shape every ParseResult must have, whatever the input.</summary>
    public static void CheckShape(ParseResult result, int inputLength)
    {
        bool ok = result.Status switch
        {
            ParseStatus.NeedMore => result.Consumed == 0 && result.Error == ProtocolError.None,
            ParseStatus.Done => result.Consumed >= 1 && result.Consumed <= inputLength && result.Error == ProtocolError.None,
            ParseStatus.Error => result.Consumed == 0 && result.Error != ProtocolError.None && Enum.IsDefined(result.Error),
            _ => false,
        };
        if (!ok)
        {
            Assert.Fail($"Malformed result {result} for {inputLength} input bytes.");
        }
    }

    /// <summary>Writes with a writer into a generous buffer filled with a canary and returns exactly the bytes written.</summary>
    public static byte[] Written(Func<byte[], int> write, int bufferSize = 600)
    {
        var buffer = Repeat(0xCC, bufferSize);
        int length = write(buffer);
        Assert.InRange(length, 1, bufferSize);
        int overrun = buffer.AsSpan(length).IndexOfAnyExcept((byte)0xCC);
        Assert.True(overrun < 0, $"Writer said {length} bytes but touched byte {length + overrun}.");
        return buffer[..length];
    }
}
