using Windsock.Client.Routing;
using Xunit;

namespace Windsock.Client.Tests;

/// <summary>The routing file's <c>users</c> key: rules for some local accounts only, as socks.conf's *=userlist.</summary>
public class RoutingUsersTests
{
    private const string File = """
        [[rule]]
        name = "build robots go direct"
        action = "direct"
        users = ["build"]

        [[rule]]
        name = "everyone else via the proxy"
        action = "via"
        proxies = ["socks5h://127.0.0.1:1080"]
        """;

    [Fact]
    public void A_rule_with_users_matches_only_those_local_accounts()
    {
        var rules = Router.Parse(File, "client.toml").Rules;

        Assert.Equal(["build"], rules[0].Users);
        Assert.True(rules[0].Matches("example.org", 443, "build"));
        Assert.False(rules[0].Matches("example.org", 443, "alice"));
        Assert.True(rules[1].Matches("example.org", 443, "alice"));
    }

    [Fact]
    public void The_current_account_decides_and_the_explanation_says_so()
    {
        var me = RoutingRule.LocalUser;
        var router = Router.Parse($"[[rule]]\naction = \"deny\"\nusers = [\"{me}\"]\n[[rule]]\naction = \"direct\"\n", "client.toml");
        Assert.Equal(RouteAction.Deny, router.GetRoute("example.org", 80).Action);

        var other = Router.Parse($"[[rule]]\naction = \"deny\"\nusers = [\"not-{me}\"]\n[[rule]]\naction = \"direct\"\n", "client.toml");
        Assert.Equal(RouteAction.Direct, other.GetRoute("example.org", 80).Action);
        var explanation = other.Explain("example.org", 80);
        Assert.Contains($"local user {me} not in {{not-{me}}}", explanation.Rules[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Users_must_be_a_non_empty_list_of_names()
    {
        var error = Assert.Throws<RoutingFileException>(() => Router.Parse("[[rule]]\naction = \"direct\"\nusers = \"build\"\n", "client.toml"));
        Assert.Contains("client.toml:3:", error.Message, StringComparison.Ordinal);
    }
}
