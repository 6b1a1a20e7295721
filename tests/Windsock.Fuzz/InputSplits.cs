namespace Windsock.Fuzz;

/// <summary>
/// How a session-level input is cut into the pieces a socket delivers, and how long the sender pauses after
/// each, all taken from the input itself so the fuzzer controls them: byte 0 chooses the variant (which
/// server or client), byte 1 seeds the piece lengths (1 to 8 bytes, or the whole rest in one piece when the
/// seed is 0), byte 2 seeds the pauses (none when 0), the rest is the stream. The shape of curl's
/// CVE-2023-38545: a state machine that is right for a message in one piece and wrong for the same message
/// arriving slowly, a partial read meeting a timer.
/// </summary>
public readonly record struct InputSplits(byte Variant, byte Seed, byte PauseSeed, ReadOnlyMemory<byte> Stream)
{
    /// <summary>
    /// All pauses of one input together: far inside every handshake timeout of the targets (3 s), and short
    /// enough that an input with pauses still runs a few hundred times a second under AFL++.
    /// </summary>
    public const int MaxTotalPauseMilliseconds = 10;

    /// <summary>The pauses a piece can be followed by: none (a yield), a timer tick, two, five.</summary>
    private static readonly int[] PauseChoices = [0, 1, 2, 5];

    public static InputSplits From(ReadOnlyMemory<byte> input) => input.Length switch
    {
        0 => new InputSplits(0, 0, 0, ReadOnlyMemory<byte>.Empty),
        1 => new InputSplits(input.Span[0], 0, 0, ReadOnlyMemory<byte>.Empty),
        2 => new InputSplits(input.Span[0], input.Span[1], 0, ReadOnlyMemory<byte>.Empty),
        _ => new InputSplits(input.Span[0], input.Span[1], input.Span[2], input[3..]),
    };

    /// <summary>The stream in pieces, each with the pause after it; one piece without a pause when the seed is 0.</summary>
    public IEnumerable<InputPiece> Pieces()
    {
        if (Seed == 0)
        {
            yield return new InputPiece(Stream, 0);
            yield break;
        }

        // Fixed LCGs: the same input always splits and pauses the same way.
        uint cuts = Seed;
        uint pauses = PauseSeed;
        int budget = PauseSeed == 0 ? 0 : MaxTotalPauseMilliseconds;
        int at = 0;
        while (at < Stream.Length)
        {
            cuts = Next(cuts);
            int length = Math.Min(1 + (int)((cuts >> 16) % 8), Stream.Length - at);
            pauses = Next(pauses);
            // The pause that would overrun the budget is cut to what is left; after it, yields only.
            int pause = Math.Min(PauseChoices[(pauses >> 16) % 4], budget);
            budget -= pause;
            yield return new InputPiece(Stream.Slice(at, length), pause);
            at += length;
        }
    }

    private static uint Next(uint state) => (state * 1103515245) + 12345;
}
