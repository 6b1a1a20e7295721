using System.Net;
using Xunit;

namespace Windsock.Policy.Tests;

/// <summary>
/// DestinationSet.Find is the one destination matcher of the server's rules and the client's routing
/// rules: what it finds, and that a name against networks without an address stays undetermined.
/// </summary>
public sealed class DestinationMatchTests
{
    private static DestinationSet Set(params string[] items)
    {
        Assert.True(DestinationSet.TryParse(items, out DestinationSet? set, out _, out string? error), error);
        return set;
    }

    [Fact]
    public void A_name_matching_a_pattern_names_the_pattern()
    {
        DestinationMatch found = Set(".corp.example", "10.0.0.0/8").Find("git.corp.example", null, null);

        Assert.Equal(RuleMatch.Matched, found.Result);
        Assert.Equal(".corp.example", found.Pattern?.ToString());
        Assert.Null(found.Network);
    }

    [Fact]
    public void A_name_against_networks_without_its_address_is_undetermined()
    {
        DestinationMatch found = Set(".corp.example", "10.0.0.0/8").Find("www.example.org", null, null);

        Assert.Equal(RuleMatch.Undetermined, found.Result);
    }

    [Fact]
    public void A_name_with_its_resolved_address_is_compared_with_the_networks()
    {
        DestinationSet set = Set(".corp.example", "10.0.0.0/8");

        DestinationMatch inside = set.Find("intranet.example.org", null, IPAddress.Parse("10.1.2.3"));
        DestinationMatch outside = set.Find("www.example.org", null, IPAddress.Parse("192.0.2.1"));

        Assert.Equal(RuleMatch.Matched, inside.Result);
        Assert.Equal("10.0.0.0/8", inside.Network?.ToString());
        Assert.Equal(RuleMatch.NotMatched, outside.Result);
    }

    [Fact]
    public void A_name_against_patterns_only_is_not_matched_without_any_address()
    {
        DestinationMatch found = Set(".corp.example").Find("www.example.org", null, null);

        Assert.Equal(RuleMatch.NotMatched, found.Result);
    }

    [Fact]
    public void An_address_literal_is_matched_by_network()
    {
        IPAddress address = IPAddress.Parse("10.9.8.7");

        DestinationMatch found = Set(".corp.example", "10.0.0.0/8").Find(null, address, address);

        Assert.Equal(RuleMatch.Matched, found.Result);
        Assert.Equal("10.0.0.0/8", found.Network?.ToString());
    }
}
