using Windsock.Protocol.Socks5;
using Xunit;
using static Windsock.Policy.Tests.Support.Build;

namespace Windsock.Policy.Tests;

public class PolicyEngineTests
{
    [Fact]
    public void No_rules_means_deny()
    {
        var decision = new PolicyEngine(new RuleSet([])).Decide(Request("192.0.2.1:80"));
        Assert.Equal(DecisionOutcome.Deny, decision.Outcome);
        Assert.Equal(DecisionBasis.NoRuleMatched, decision.Basis);
        Assert.Null(decision.Rule);
        Assert.Equal(Socks5ReplyCode.NotAllowedByRuleset, decision.Reply.Socks5Code);
        Assert.Equal("no rule matched: default deny", decision.Reason);
    }

    [Fact]
    public void First_match_wins_whichever_way_it_goes()
    {
        var denyFirst = new PolicyEngine(new RuleSet([Deny(ports: "telnet", line: 1), Allow(line: 2)]));
        var allowFirst = new PolicyEngine(new RuleSet([Allow(line: 1), Deny(ports: "telnet", line: 2)]));
        var telnet = Request("198.51.100.1:23");

        var denied = denyFirst.Decide(telnet);
        Assert.False(denied.IsAllowed);
        Assert.Equal(1, denied.RuleNumber);
        Assert.True(denyFirst.Decide(Request("198.51.100.1:80")).IsAllowed);

        var allowed = allowFirst.Decide(telnet);
        Assert.True(allowed.IsAllowed);
        Assert.Equal(1, allowed.RuleNumber);
    }

    [Fact]
    public void A_deny_rule_carries_its_reply_reason_log_level_and_hooks()
    {
        var rule = new AccessRule
        {
            Action = RuleAction.Deny,
            Ports = PortSet.Of(23),
            Reply = DenyReply.Drop,
            Reason = "telnet is not allowed",
            LogLevel = RuleLogLevel.Error,
            Notify = ["mail -s 'telnet from %a' root"],
            Ident = IdentMode.Check,
        };
        var rules = new RuleSet([rule]) { NotifyOnDeny = ["logger denied %a"] };
        var decision = new PolicyEngine(rules).Decide(Request("198.51.100.1:23"));
        Assert.True(decision.Reply.IsDrop);
        Assert.Equal("telnet is not allowed", decision.Reason);
        Assert.Equal(RuleLogLevel.Error, decision.LogLevel);
        Assert.Equal(["mail -s 'telnet from %a' root", "logger denied %a"], decision.Notify);
        Assert.Equal(IdentMode.Check, decision.Ident);

        var unmatched = new PolicyEngine(rules).Decide(Request("198.51.100.1:80"));
        Assert.Equal(DecisionBasis.NoRuleMatched, unmatched.Basis);
        Assert.Equal(["logger denied %a"], unmatched.Notify);
    }

    [Theory]
    [InlineData("127.0.0.1:8080", "a loopback address")]
    [InlineData("127.1.2.3:22", "a loopback address")]
    [InlineData("[::1]:8080", "a loopback address")]
    [InlineData("[::ffff:127.0.0.1]:8080", "a loopback address")]
    [InlineData("169.254.169.254:80", "a link-local address")]
    [InlineData("[fe80::1]:80", "a link-local address")]
    [InlineData("0.0.0.0:22", "unspecified")]
    [InlineData("[::]:22", "unspecified")]
    [InlineData("203.0.113.5:22", "an address of the proxy host")]
    public void Safe_default_protects_the_host_from_remote_clients(string destination, string what)
    {
        var engine = new PolicyEngine(new RuleSet([Allow(to: "0.0.0.0/0,::/0")]));
        var remote = Request(destination, serverAddresses: ["203.0.113.5", "2001:db8::5"]);
        var decision = engine.Decide(remote);
        Assert.Equal(DecisionOutcome.Deny, decision.Outcome);
        Assert.Equal(DecisionBasis.SafeDefault, decision.Basis);
        Assert.Contains(what, decision.Reason, StringComparison.Ordinal);

        // The same request from the proxy host itself is the rule's to decide.
        var local = remote with { ClientAddress = System.Net.IPAddress.Loopback };
        Assert.True(engine.Decide(local).IsAllowed);
    }

    [Fact]
    public void Safe_default_also_holds_for_names_that_resolve_onto_the_host()
    {
        var engine = new PolicyEngine(new RuleSet([Allow(to: ".example.com")]));
        var decision = engine.Decide(Request("localhost.example.com:80", resolved: "127.0.0.1"));
        Assert.Equal(DecisionBasis.SafeDefault, decision.Basis);
    }

    [Theory]
    [InlineData("127.0.0.0/8", "127.0.0.1:8080", true)]
    [InlineData("127.0.0.1", "127.0.0.1:8080", true)]
    [InlineData("127.0.0.1", "127.0.0.2:8080", false)]
    [InlineData("0.0.0.0/0", "127.0.0.1:8080", false)]
    [InlineData("96.0.0.0/3", "127.0.0.1:8080", false)]
    [InlineData("169.254.169.254", "169.254.169.254:80", true)]
    [InlineData("::1", "[::1]:80", true)]
    [InlineData("203.0.113.5", "203.0.113.5:22", true)]
    [InlineData("203.0.113.0/24", "203.0.113.5:22", false)]
    public void Only_a_rule_naming_the_protected_network_opens_it(string to, string destination, bool allowed)
    {
        var engine = new PolicyEngine(new RuleSet([Allow(to: to)]));
        var decision = engine.Decide(Request(destination, serverAddresses: ["203.0.113.5"]));
        Assert.Equal(allowed, decision.IsAllowed);
    }

    [Fact]
    public void A_network_deny_rule_catches_a_name_that_resolves_into_it()
    {
        // The DNS-rebinding case: the client asks for a harmless-looking name whose address is internal.
        var engine = new PolicyEngine(new RuleSet(
        [
            Deny(to: "10.0.0.0/8", reason: "internal network", line: 1),
            Allow(to: "*.example.net", line: 2),
        ]));

        var beforeResolving = engine.Decide(Request("rebind.example.net:80"));
        Assert.Equal(DecisionOutcome.NeedsAddress, beforeResolving.Outcome);

        var internalAddress = engine.Decide(Request("rebind.example.net:80", resolved: "10.1.2.3"));
        Assert.Equal(DecisionOutcome.Deny, internalAddress.Outcome);
        Assert.Equal(1, internalAddress.RuleNumber);
        Assert.Equal("internal network", internalAddress.Reason);

        var publicAddress = engine.Decide(Request("rebind.example.net:80", resolved: "198.51.100.9"));
        Assert.True(publicAddress.IsAllowed);
        Assert.Equal(2, publicAddress.RuleNumber);

        // A mapped form of the same address is the same address.
        Assert.False(engine.Decide(Request("rebind.example.net:80", resolved: "::ffff:10.1.2.3")).IsAllowed);
    }

    [Fact]
    public void A_name_denied_before_any_network_rule_is_denied_without_resolving()
    {
        var engine = new PolicyEngine(new RuleSet(
        [
            Deny(to: ".tracker.example", line: 1),
            Deny(to: "10.0.0.0/8", line: 2),
            Allow(line: 3),
        ]));

        var decision = engine.Decide(Request("ads.tracker.example:443"));
        Assert.Equal(DecisionOutcome.Deny, decision.Outcome);
        Assert.Equal(1, decision.RuleNumber);

        // Past an undetermined network rule, a later deny could still be preempted: ask for the address.
        var later = new PolicyEngine(new RuleSet([Allow(to: "192.0.2.0/24"), Deny(to: ".tracker.example")]));
        Assert.Equal(DecisionOutcome.NeedsAddress, later.Decide(Request("ads.tracker.example:443")).Outcome);
    }

    [Fact]
    public void No_match_after_an_undetermined_rule_needs_the_address()
    {
        var engine = new PolicyEngine(new RuleSet([Allow(to: "192.0.2.0/24")]));
        Assert.Equal(DecisionOutcome.NeedsAddress, engine.Decide(Request("www.example.com:80")).Outcome);
        Assert.Equal(DecisionBasis.NoRuleMatched, engine.Decide(Request("www.example.com:80", resolved: "198.51.100.1")).Basis);
    }

    [Fact]
    public void Udp_datagrams_and_bind_peers_go_through_the_same_decision()
    {
        var engine = new PolicyEngine(new RuleSet(
        [
            Allow(commands: "udp", to: "192.0.2.53", ports: "domain"),
            Allow(commands: "bind", to: "198.51.100.0/24"),
        ]));
        Assert.True(engine.Decide(Request("192.0.2.53:53", command: PolicyCommand.UdpAssociate)).IsAllowed);
        Assert.False(engine.Decide(Request("192.0.2.54:53", command: PolicyCommand.UdpAssociate)).IsAllowed);
        Assert.True(engine.Decide(Request("198.51.100.20:20", command: PolicyCommand.Bind)).IsAllowed);
        Assert.False(engine.Decide(Request("203.0.113.20:20", command: PolicyCommand.Bind)).IsAllowed);
    }

    [Fact]
    public void A_udp_association_is_allowed_when_some_datagram_could_be()
    {
        var engine = new PolicyEngine(new RuleSet(
        [
            Deny(commands: "udp", to: "10.0.0.0/8", line: 1),
            Allow(commands: "udp", to: "192.0.2.53", ports: "domain", line: 2),
            Deny(commands: "udp", line: 3),
        ]));
        var setup = Request("0.0.0.0:0", command: PolicyCommand.UdpAssociate) with { AssociationSetup = true };
        var decision = engine.Decide(setup);
        Assert.True(decision.IsAllowed);
        Assert.Equal(2, decision.RuleNumber);

        var explanation = engine.Explain(setup);
        Assert.Equal("rule 1 (windsock.toml:1:1) did not match: the rule's destination conditions apply to each datagram, not to setting up the association", explanation.Rules[0].ToString());

        // Without a rule that could allow a datagram, the association is refused up front.
        var noUdp = new PolicyEngine(new RuleSet([Deny(commands: "udp"), Allow(commands: "connect")]));
        Assert.False(noUdp.Decide(setup).IsAllowed);
    }

    [Fact]
    public void Loopback_only_default_policy()
    {
        var engine = new PolicyEngine(RuleSet.LoopbackOnly);
        Assert.True(engine.Decide(Request("127.0.0.1:8080", client: "127.0.0.1")).IsAllowed);
        Assert.True(engine.Decide(Request("198.51.100.1:80", client: "::1")).IsAllowed);
        Assert.False(engine.Decide(Request("198.51.100.1:80")).IsAllowed);
    }

    [Fact]
    public void Explains_every_rule_in_order()
    {
        var rules = new RuleSet(
        [
            Allow(groups: "staff", ports: "http,https", line: 10),
            Rule(RuleAction.Allow, users: "carol", to: ".mail.example", ports: "smtp,submission,imaps", line: 14, name: "carol-mail"),
            Deny(ports: "telnet", reply: "connection-refused", reason: "nobody may telnet out", line: 20),
            Allow(line: 25),
        ]);
        var request = Request("bbs.example.org:23", user: "bob", groups: ["staff"], method: AuthMethod.UsernamePassword, resolved: "198.51.100.23");
        var explanation = new PolicyEngine(rules).Explain(request);

        Assert.Equal(
            """
            deny by rule 3 (windsock.toml:20:1), reply connection-refused (SOCKS5 5, SOCKS4 91)
            reason: nobody may telnet out
            rule 1 (windsock.toml:10:1) did not match: destination port 23 (telnet) not in {80,443}
            rule 2 "carol-mail" (windsock.toml:14:1) did not match: user bob not in users {carol}; destination bbs.example.org (resolved to 198.51.100.23) not in {.mail.example}; destination port 23 (telnet) not in {25,587,993}
            rule 3 (windsock.toml:20:1) matched (deny): destination port 23 (telnet) in {23}
            rule 4 (windsock.toml:25:1) was not reached

            """.ReplaceLineEndings("\n"),
            explanation.ToString());
        Assert.Equal(
            [RuleMatch.NotMatched, RuleMatch.NotMatched, RuleMatch.Matched, RuleMatch.NotReached],
            explanation.Rules.Select(r => r.Result));
    }

    [Fact]
    public void Explains_the_safe_default_and_the_default_deny()
    {
        var engine = new PolicyEngine(new RuleSet([Allow(users: "alice", line: 3)]));
        var safe = engine.Explain(Request("127.0.0.1:22", user: "alice"));
        Assert.Equal(DecisionBasis.SafeDefault, safe.Decision.Basis);
        Assert.Equal(
            "destination 127.0.0.1 is a loopback address and the client 192.0.2.10 is not on loopback: only an allow rule that names a network within 127.0.0.0/8 may allow it",
            safe.SafeDefault);
        Assert.Equal("deny by safe default, reply not-allowed (SOCKS5 2, SOCKS4 91)\nreason: destination 127.0.0.1 is a loopback address; rule 1 (windsock.toml:3:1) allows the request but does not name a network within 127.0.0.0/8\n"
            + "safe default: destination 127.0.0.1 is a loopback address and the client 192.0.2.10 is not on loopback: only an allow rule that names a network within 127.0.0.0/8 may allow it\n"
            + "rule 1 (windsock.toml:3:1) matched (allow): user alice in users {alice}\n",
            safe.ToString());

        var none = engine.Explain(Request("198.51.100.1:22", user: "bob"));
        Assert.Equal("deny by no rule matched: default deny, reply not-allowed (SOCKS5 2, SOCKS4 91)\nreason: no rule matched: default deny\nrule 1 (windsock.toml:3:1) did not match: user bob not in users {alice}\n", none.ToString());
    }

    [Fact]
    public void Explains_an_undetermined_rule()
    {
        var engine = new PolicyEngine(new RuleSet([Deny(to: "*.ads.example, 10.0.0.0/8", line: 2)]));
        var explanation = engine.Explain(Request("www.example.com:80"));
        Assert.Equal(DecisionOutcome.NeedsAddress, explanation.Decision.Outcome);
        Assert.Equal(
            "rule 1 (windsock.toml:2:1) is undetermined: destination www.example.com does not match {*.ads.example}, and its address is not known yet to compare with 10.0.0.0/8",
            explanation.Rules[0].ToString());
    }
}
