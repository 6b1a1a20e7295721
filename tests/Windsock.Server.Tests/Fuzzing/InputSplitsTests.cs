using Windsock.Fuzz;
using Xunit;

namespace Windsock.Server.Tests.Fuzzing;

/// <summary>
/// How the session-level fuzz targets cut and pace their input: the pieces always make up the stream, the
/// pauses are the input's choice among 0/1/2/5 ms (the last cut short to fit), never more than the budget in all, and none without a
/// pause seed, so the kept corpus (seed 0 there) replays at full speed.
/// </summary>
public class InputSplitsTests
{
    [Fact]
    public void Pieces_make_up_the_stream_and_pauses_stay_within_the_budget()
    {
        var stream = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
        bool pausedAtAll = false;
        for (int seed = 1; seed < 256; seed += 7)
        {
            for (int pauseSeed = 0; pauseSeed < 256; pauseSeed += 5)
            {
                var splits = InputSplits.From((byte[])[0, (byte)seed, (byte)pauseSeed, .. stream]);
                var pieces = splits.Pieces().ToList();
                Assert.Equal(stream, pieces.SelectMany(p => p.Bytes.ToArray()));
                Assert.All(pieces, p => Assert.InRange(p.Bytes.Length, 1, 8));
                int total = 0;
                foreach (var piece in pieces)
                {
                    // One of the four choices, or the one that meets the budget cut to what is left of it.
                    Assert.True(piece.PauseMilliseconds is 0 or 1 or 2 or 5 || total + piece.PauseMilliseconds == InputSplits.MaxTotalPauseMilliseconds, $"a pause of {piece.PauseMilliseconds} ms after {total} ms");
                    total += piece.PauseMilliseconds;
                }

                Assert.InRange(total, 0, InputSplits.MaxTotalPauseMilliseconds);
                if (pauseSeed == 0)
                {
                    Assert.Equal(0, total);
                }

                pausedAtAll |= total > 0;
            }
        }

        Assert.True(pausedAtAll, "no pause seed paused at all");
    }

    [Fact]
    public void Seed_zero_is_the_whole_stream_in_one_piece_without_a_pause()
    {
        var piece = Assert.Single(InputSplits.From((byte[])[1, 0, 9, 5, 1, 0]).Pieces());
        Assert.Equal((byte[])[5, 1, 0], piece.Bytes.ToArray());
        Assert.Equal(0, piece.PauseMilliseconds);
    }

    [Fact]
    public void The_same_input_always_splits_and_pauses_the_same_way()
    {
        byte[] input = [0, 42, 17, .. Enumerable.Repeat((byte)5, 64)];
        var first = InputSplits.From(input).Pieces().Select(p => (p.Bytes.Length, p.PauseMilliseconds)).ToList();
        var second = InputSplits.From(input).Pieces().Select(p => (p.Bytes.Length, p.PauseMilliseconds)).ToList();
        Assert.Equal(first, second);
    }
}
