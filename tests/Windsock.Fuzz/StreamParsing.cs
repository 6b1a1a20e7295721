using Windsock.Protocol;

namespace Windsock.Fuzz;

/// <summary>A sans-I/O parser of the Windsock.Protocol shape.</summary>
public delegate ParseResult Parser<T>(ReadOnlySpan<byte> input, out T value);

/// <summary>
/// The rules every wire parser keeps, checked on one input the way a socket delivers it: the parser throws
/// nothing (an exception here is a crash to AFL++), a message is never longer than the input or its limit,
/// every prefix says NeedMore until the message is complete, then Done with the same length and value
/// however many bytes follow, and an error stays an error. The same rules as the property tests in
/// Windsock.Protocol.Tests/ArbitraryInputTests, here under coverage guidance.
/// </summary>
public static class StreamParsing
{
    public static void Check<T>(ReadOnlySpan<byte> input, Parser<T> parser, int maxMessageLength)
    {
        FuzzFailure.Unless(parser([], out _) == ParseResult.NeedMore, "the empty input is not NeedMore");

        var settled = ParseResult.NeedMore;
        T? settledValue = default;
        int settledAt = 0;
        for (int length = 1; length <= input.Length; length++)
        {
            var result = parser(input[..length], out var value);
            switch (settled.Status)
            {
                case ParseStatus.NeedMore:
                    if (result.IsDone)
                    {
                        FuzzFailure.Unless(result.Consumed == length, $"Done at {length} bytes claims {result.Consumed}");
                        FuzzFailure.Unless(result.Consumed <= maxMessageLength, $"a {result.Consumed}-byte message is over the {maxMessageLength}-byte limit");
                    }

                    if (result.IsError)
                    {
                        FuzzFailure.Unless(result.Error != ProtocolError.None, "an error without a reason");
                    }

                    settled = result;
                    settledValue = value;
                    settledAt = length;
                    break;
                case ParseStatus.Done:
                    FuzzFailure.Unless(settled == result, $"Done at {settledAt} became {result} at {length}");
                    FuzzFailure.Unless(EqualityComparer<T>.Default.Equals(settledValue, value), $"the value parsed at {settledAt} changed at {length}");
                    break;
                default:
                    FuzzFailure.Unless(result.IsError, $"the error at {settledAt} ({settled.Error}) became {result} at {length}");
                    break;
            }

            if (settled.Status != ParseStatus.NeedMore && length > settledAt + 16 && length < input.Length)
            {
                // Settled a while ago: check the whole input next rather than every length up to it.
                length = input.Length - 1;
            }
        }
    }
}
