namespace Windsock.Fuzz;

/// <summary>
/// How a session-level input is cut into the pieces a socket delivers, with the cut points taken from
/// the input itself so the fuzzer controls them: byte 0 chooses the variant (which server or client),
/// byte 1 seeds the piece lengths (1 to 8 bytes, or the whole rest when the seed is 0), the rest is the
/// stream. The shape of curl's CVE-2023-38545: a state machine that is right for a message in one piece
/// and wrong for the same message arriving slowly.
/// </summary>
public readonly record struct InputSplits(byte Variant, byte Seed, ReadOnlyMemory<byte> Stream)
{
    public static InputSplits From(ReadOnlyMemory<byte> input) => input.Length switch
    {
        0 => new InputSplits(0, 0, ReadOnlyMemory<byte>.Empty),
        1 => new InputSplits(input.Span[0], 0, ReadOnlyMemory<byte>.Empty),
        _ => new InputSplits(input.Span[0], input.Span[1], input[2..]),
    };

    /// <summary>The stream in pieces; one piece when the seed is 0.</summary>
    public IEnumerable<ReadOnlyMemory<byte>> Pieces()
    {
        if (Seed == 0)
        {
            yield return Stream;
            yield break;
        }

        uint state = Seed;
        int at = 0;
        while (at < Stream.Length)
        {
            state = (state * 1103515245) + 12345; // a fixed LCG: the same input always splits the same way
            int length = Math.Min(1 + (int)((state >> 16) % 8), Stream.Length - at);
            yield return Stream.Slice(at, length);
            at += length;
        }
    }
}
