using Windsock.Protocol.Socks5;
using Xunit;
using static Windsock.Policy.Tests.Support.Build;

namespace Windsock.Policy.Tests;

/// <summary>The example policy of docs/policy.md, built in code, fares as the page says.</summary>
public class HandbookExampleTests
{
    private static readonly PolicyEngine Engine = new(new RuleSet(
    [
        Rule(RuleAction.Deny, to: "10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16", reason: "internal networks are not reachable through the proxy", line: 8, name: "no internal"),
        Rule(RuleAction.Deny, ports: "telnet", reply: "connection-refused", reason: "nobody may telnet out", line: 14, name: "no telnet"),
        Rule(RuleAction.Allow, commands: "udp", to: "192.0.2.53", ports: "domain", line: 21, name: "dns resolver"),
        Rule(RuleAction.Deny, commands: "udp", reason: "UDP only to the DNS resolver", line: 28, name: "no other udp"),
        Rule(RuleAction.Allow, groups: "staff", methods: "username", commands: "connect", ports: "http,https,smtp,submission,imaps,pop3s", line: 34, name: "staff web and mail"),
    ])
    {
        NotifyOnDeny = ["mail -s 'windsock: %u@%a denied %Z:%s' root"],
    });

    private static AccessRequest Staff(string to, string? resolved = null, PolicyCommand command = PolicyCommand.Connect, string client = "192.0.2.10") =>
        Request(to, user: "bob", groups: ["staff"], method: AuthMethod.UsernamePassword, resolved: resolved, command: command, client: client);

    [Fact]
    public void Staff_reach_the_web()
    {
        Assert.Equal(DecisionOutcome.NeedsAddress, Engine.Decide(Staff("www.example.org:443")).Outcome);
        var decision = Engine.Decide(Staff("www.example.org:443", "93.184.216.34"));
        Assert.True(decision.IsAllowed);
        Assert.Equal(5, decision.RuleNumber);
    }

    [Fact]
    public void A_name_inside_an_internal_network_is_denied_by_address()
    {
        var decision = Engine.Decide(Staff("intranet.example.org:443", "10.1.2.3"));
        Assert.False(decision.IsAllowed);
        Assert.Equal(1, decision.RuleNumber);
    }

    [Fact]
    public void Nobody_telnets_out_and_root_hears_of_it()
    {
        var decision = Engine.Decide(Staff("198.51.100.23:23"));
        Assert.Equal(2, decision.RuleNumber);
        Assert.Equal(Socks5ReplyCode.ConnectionRefused, decision.Reply.Socks5Code);
        Assert.Equal(["mail -s 'windsock: %u@%a denied %Z:%s' root"], decision.Notify);
    }

    [Fact]
    public void Udp_only_to_the_resolver()
    {
        var setup = Staff("0.0.0.0:0", command: PolicyCommand.UdpAssociate) with { AssociationSetup = true };
        Assert.Equal(3, Engine.Decide(setup).RuleNumber);
        Assert.True(Engine.Decide(Staff("192.0.2.53:53", command: PolicyCommand.UdpAssociate)).IsAllowed);
        var other = Engine.Decide(Staff("8.8.8.8:53", command: PolicyCommand.UdpAssociate));
        Assert.False(other.IsAllowed);
        Assert.Equal(4, other.RuleNumber);
    }

    [Fact]
    public void Others_fall_to_the_default_deny_and_the_host_stays_closed()
    {
        var carol = Engine.Decide(Request("www.example.org:80", user: "carol", method: AuthMethod.UsernamePassword, resolved: "93.184.216.34"));
        Assert.Equal(DecisionBasis.NoRuleMatched, carol.Basis);
        Assert.Single(carol.Notify);

        Assert.Equal(DecisionBasis.SafeDefault, Engine.Decide(Staff("127.0.0.1:80")).Basis);
    }

    [Fact]
    public void Explanation_as_shown_in_the_docs()
    {
        string text = Engine.Explain(Staff("bbs.example.org:23", "198.51.100.23")).ToString();
        Assert.StartsWith(
            """
            deny by rule 2 "no telnet" (windsock.toml:14:1), reply connection-refused (SOCKS5 5, SOCKS4 91)
            reason: nobody may telnet out
            rule 1 "no internal" (windsock.toml:8:1) did not match: destination bbs.example.org (resolved to 198.51.100.23) not in {10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16}
            rule 2 "no telnet" (windsock.toml:14:1) matched (deny): destination port 23 (telnet) in {23}
            rule 3 "dns resolver" (windsock.toml:21:1) was not reached
            """.ReplaceLineEndings("\n"),
            text,
            StringComparison.Ordinal);
    }
}
