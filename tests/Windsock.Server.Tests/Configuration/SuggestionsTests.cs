using Windsock.Server.Configuration;
using Xunit;

namespace Windsock.Server.Tests.Configuration;

public sealed class SuggestionsTests
{
    [Theory]
    [InlineData("listen", "listen", 0)]
    [InlineData("lsiten", "listen", 1)]
    [InlineData("listn", "listen", 1)]
    [InlineData("", "abc", 3)]
    [InlineData("kitten", "sitting", 3)]
    public void Distance_counts_edits_and_transpositions(string a, string b, int expected)
    {
        Assert.Equal(expected, Suggestions.Distance(a, b));
    }

    [Fact]
    public void Far_words_get_no_suggestion()
    {
        Assert.Null(Suggestions.Closest("tls", ["listen", "auth"]));
        Assert.Null(Suggestions.Closest("bananas", ["listen", "allowed_clients", "log_format"]));
    }
}
