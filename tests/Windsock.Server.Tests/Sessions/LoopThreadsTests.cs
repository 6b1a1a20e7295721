using Windsock.Server.Sessions;
using Xunit;

namespace Windsock.Server.Tests.Sessions;

/// <summary>WINDSOCK_LOOP_THREADS: how many handshake loop threads, and the start-up error for a value that is not one.</summary>
public sealed class LoopThreadsTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(4, 4)]
    [InlineData(16, 4)]
    public void Unset_it_is_one_thread_per_core_and_at_most_four(int processors, int expected)
    {
        Assert.Equal(expected, LoopThreads.Resolve(null, processors));
        Assert.Null(LoopThreads.Problem(null));

        // Empty is unset too: what systemd's Environment=WINDSOCK_LOOP_THREADS= leaves.
        Assert.Equal(expected, LoopThreads.Resolve(string.Empty, processors));
        Assert.Null(LoopThreads.Problem(string.Empty));
    }

    [Theory]
    [InlineData("1", 1)]
    [InlineData("3", 3)]
    [InlineData("64", 64)]
    public void A_whole_number_from_1_to_64_is_taken_as_it_is(string value, int expected)
    {
        Assert.Equal(expected, LoopThreads.Resolve(value, processors: 2));
        Assert.Null(LoopThreads.Problem(value));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65")]
    [InlineData("-1")]
    [InlineData("two")]
    [InlineData(" 2")]
    public void Anything_else_is_a_start_up_error_that_names_the_variable_and_the_fix(string value)
    {
        string? problem = LoopThreads.Problem(value);
        Assert.NotNull(problem);
        Assert.StartsWith($"WINDSOCK_LOOP_THREADS={value} is not", problem, StringComparison.Ordinal);
        Assert.Contains("fix: a whole number from 1 to 64", problem, StringComparison.Ordinal);
    }
}
