using Xunit;

namespace Windsock.Policy.Tests;

/// <summary>User names and the one pattern, *@REALM, for every Kerberos principal of a realm.</summary>
public class UserSetTests
{
    [Theory]
    [InlineData("alice", true)]
    [InlineData("alice@EXAMPLE.ORG", true)]
    [InlineData("*@EXAMPLE.ORG", true)]
    [InlineData("*@", false)]
    [InlineData("*@A@B", false)]
    [InlineData("*@A*", false)]
    public void Names_and_realm_patterns_are_checked(string name, bool valid) =>
        Assert.Equal(valid, UserSet.TryParseName(name, out _));

    [Fact]
    public void A_realm_pattern_matches_principals_of_that_realm_only()
    {
        Assert.True(UserSet.TryParse(["*@EXAMPLE.ORG"], [], out var set, out _));

        Assert.True(set.Matches("alice@EXAMPLE.ORG", []));
        Assert.True(set.Matches("host/proxy@EXAMPLE.ORG", []));
        Assert.False(set.Matches("alice@OTHER.ORG", []));
        Assert.False(set.Matches("alice", []));
        Assert.False(set.Matches("@EXAMPLE.ORG", []));
        Assert.False(set.Matches(null, []));
    }
}
