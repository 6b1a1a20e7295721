using System.Net;
using Xunit;
using static Windsock.Policy.Tests.Support.Build;

namespace Windsock.Policy.Tests;

/// <summary>
/// Every destination the safe default protects, one case each: denied to a remote client under an
/// allow rule for the whole Internet, allowed by a rule that names it, allowed to a loopback client.
/// </summary>
public class SafeDefaultTests
{
    private const string Everywhere = "0.0.0.0/0,::/0";

    [Theory]
    // The proxy host itself and its link.
    [InlineData("127.0.0.1:8080", "a loopback address", "127.0.0.0/8")]
    [InlineData("[::1]:8080", "a loopback address", "::1")]
    [InlineData("169.254.169.254:80", "a link-local address", "169.254.169.254")] // AWS, Google, Azure, Oracle, OpenStack metadata
    [InlineData("169.254.170.2:80", "a link-local address", "169.254.170.2")] // Amazon ECS task metadata
    [InlineData("[fe80::1]:80", "a link-local address", "fe80::/10")]
    [InlineData("0.0.0.0:22", "an unspecified", "0.0.0.0")]
    [InlineData("[::]:22", "an unspecified", "::")]
    [InlineData("203.0.113.5:22", "an address of the proxy host", "203.0.113.5")]
    // Broadcast and multicast.
    [InlineData("255.255.255.255:9", "the limited broadcast address", "255.255.255.255")]
    [InlineData("224.0.0.251:5353", "a multicast address", "224.0.0.251")]
    [InlineData("239.255.255.250:1900", "a multicast address", "239.0.0.0/8")]
    [InlineData("[ff02::fb]:5353", "a multicast address", "ff02::/16")]
    // Metadata services outside link-local.
    [InlineData("[fd00:ec2::254]:80", "a cloud metadata address (AWS, IPv6)", "fd00:ec2::254")]
    [InlineData("[fd20:ce::254]:80", "a cloud metadata address (Google Cloud, IPv6)", "fd20:ce::254")]
    [InlineData("100.100.100.200:80", "a cloud metadata address (Alibaba Cloud)", "100.100.100.200")]
    [InlineData("168.63.129.16:80", "a cloud platform address (Azure WireServer)", "168.63.129.16")]
    // IPv6 forms that carry an IPv4 address are judged as that address; a rule opens them by naming the IPv6 form
    // (the address, or a network no wider than the IPv4 range mapped into it).
    [InlineData("[::ffff:127.0.0.1]:80", "a loopback address", "127.0.0.1")]
    [InlineData("[::127.0.0.1]:80", "a loopback address (an IPv4-compatible address (::/96) carrying 127.0.0.1)", "::127.0.0.1")]
    [InlineData("[::ffff:0:127.0.0.1]:80", "a loopback address (an IPv4-translated address (::ffff:0:0/96) carrying 127.0.0.1)", "::ffff:0:7f00:0/104")]
    [InlineData("[64:ff9b::7f00:1]:80", "a loopback address (a NAT64 address (64:ff9b::/96) carrying 127.0.0.1)", "64:ff9b::7f00:1")]
    [InlineData("[64:ff9b::a9fe:a9fe]:80", "a link-local address (a NAT64 address (64:ff9b::/96) carrying 169.254.169.254)", "64:ff9b::a9fe:a9fe")]
    [InlineData("[64:ff9b:1::7f00:1]:80", "a loopback address (a local-use NAT64 address (64:ff9b:1::/48) carrying 127.0.0.1)", "64:ff9b:1::7f00:1")]
    [InlineData("[64:ff9b:1:7f00:0:100::]:80", "a loopback address (a local-use NAT64 address (64:ff9b:1::/48) carrying 127.0.0.1)", "64:ff9b:1:7f00:0:100::")] // the /48 cut: 127.0 | u | 0.1
    [InlineData("[2002:7f00:1::]:80", "a loopback address (a 6to4 address (2002::/16) carrying 127.0.0.1)", "2002:7f00:1::")]
    [InlineData("[2002:cb00:7105::1]:80", "an address of the proxy host (a 6to4 address (2002::/16) carrying 203.0.113.5)", "2002:cb00:7105::1")]
    [InlineData("[::ffff:0:e000:fb]:5353", "a multicast address (an IPv4-translated address (::ffff:0:0/96) carrying 224.0.0.251)", "::ffff:0:e000:0/100")]
    public void Protected_destinations_need_a_rule_that_names_them(string destination, string what, string naming)
    {
        var request = Request(destination, serverAddresses: ["203.0.113.5", "2001:db8::5"]);

        var decision = new PolicyEngine(new RuleSet([Allow(to: Everywhere)])).Decide(request);
        Assert.Equal(DecisionOutcome.Deny, decision.Outcome);
        Assert.Equal(DecisionBasis.SafeDefault, decision.Basis);
        Assert.Contains($"is {what}", decision.Reason, StringComparison.Ordinal);

        var named = new PolicyEngine(new RuleSet([Allow(to: naming)])).Decide(request);
        Assert.True(named.IsAllowed, named.Reason);

        var fromTheHost = new PolicyEngine(new RuleSet([Allow(to: Everywhere)])).Decide(request with { ClientAddress = IPAddress.Loopback });
        Assert.True(fromTheHost.IsAllowed, fromTheHost.Reason);
    }

    [Theory]
    [InlineData("8.8.8.8:53")]
    [InlineData("[2001:db8::1]:443")]
    [InlineData("[64:ff9b::808:808]:53")] // NAT64 of a public address
    [InlineData("[2002:808:808::1]:80")] // 6to4 of a public address
    [InlineData("[64:ff9b:1:808:8:800::]:53")] // local-use NAT64 of 8.8.8.8 in the /48 layout; its /96 reading, 0.0.0.0, is no address
    [InlineData("[64:ff9b:1:808:0:808::]:53")] // its /64 reading is 0.8.8.0
    [InlineData("[64:ff9b:1::808:808]:53")]
    [InlineData("[fd00:ec2::253]:53")] // next to the metadata address, but not it
    [InlineData("100.100.100.201:80")]
    [InlineData("240.0.0.1:80")] // reserved, not broadcast
    public void Ordinary_destinations_are_the_rules_to_decide(string destination)
    {
        var decision = new PolicyEngine(new RuleSet([Allow(to: Everywhere)])).Decide(Request(destination, serverAddresses: ["203.0.113.5"]));
        Assert.True(decision.IsAllowed, decision.Reason);
    }

    [Fact]
    public void A_rule_naming_a_wider_network_does_not_open_a_protected_one()
    {
        // 0.0.0.0/0 covers 224.0.0.0/4 but does not name it; 64:ff9b::/96 names the translator, not loopback behind it.
        Assert.False(new PolicyEngine(new RuleSet([Allow(to: "0.0.0.0/0")])).Decide(Request("224.0.0.1:80")).IsAllowed);
        Assert.False(new PolicyEngine(new RuleSet([Allow(to: "64:ff9b::/96")])).Decide(Request("[64:ff9b::7f00:1]:80")).IsAllowed);
        Assert.True(new PolicyEngine(new RuleSet([Allow(to: "64:ff9b::/96")])).Decide(Request("[64:ff9b::808:808]:80")).IsAllowed);
        Assert.False(new PolicyEngine(new RuleSet([Allow(to: "2002::/16")])).Decide(Request("[2002:7f00:1::]:80")).IsAllowed);
        Assert.False(new PolicyEngine(new RuleSet([Allow(to: "64:ff9b::7e00:0/103")])).Decide(Request("[64:ff9b::7f00:1]:80")).IsAllowed);
    }
}
