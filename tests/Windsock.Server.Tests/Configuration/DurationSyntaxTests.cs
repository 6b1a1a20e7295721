using Windsock.Server.Configuration;
using Xunit;

namespace Windsock.Server.Tests.Configuration;

public sealed class DurationSyntaxTests
{
    [Theory]
    [InlineData("0s", 0)]
    [InlineData("500ms", 500)]
    [InlineData("10s", 10_000)]
    [InlineData("5m", 300_000)]
    [InlineData("2h", 7_200_000)]
    [InlineData("0010s", 10_000)]
    public void Parses_whole_numbers_with_a_unit(string text, long milliseconds)
    {
        Assert.True(DurationSyntax.TryParse(text, out TimeSpan value, out _));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("", "not a duration")]
    [InlineData("s", "not a duration")]
    [InlineData("-1s", "negative")]
    [InlineData("10", "no unit")]
    [InlineData("1.5s", "fraction")]
    [InlineData("10 s", "unknown unit")]
    [InlineData("10S", "unknown unit")]
    [InlineData("1d", "unknown unit")]
    [InlineData("1h30m", "unknown unit")]
    [InlineData("99999999999h", "too large")]
    [InlineData("9999999999999999999999s", "too large")]
    public void Refuses_everything_else(string text, string messagePart)
    {
        Assert.False(DurationSyntax.TryParse(text, out _, out ValueProblem problem));
        Assert.Contains(messagePart, problem.Message, StringComparison.Ordinal);
        Assert.NotEmpty(problem.Fix);
    }

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(100, "100ms")]
    [InlineData(1000, "1s")]
    [InlineData(90_000, "90s")]
    [InlineData(600_000, "10m")]
    [InlineData(604_800_000, "168h")]
    public void Formats_the_shortest_exact_form(long milliseconds, string expected)
    {
        Assert.Equal(expected, DurationSyntax.Format(TimeSpan.FromMilliseconds(milliseconds)));
    }
}
