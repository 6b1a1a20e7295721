using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Xunit;
using static Windsock.Policy.Tests.Support.Build;

namespace Windsock.Policy.Tests;

/// <summary>One allow rule against one request: does the engine allow? A table of cases.</summary>
public class RuleMatchingTests
{
    public record Case(string Name, AccessRule Rule, AccessRequest Request, DecisionOutcome Expected)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<Case> Cases() =>
    [
        new Case("empty rule matches all", Allow(), Request("example.com:80", resolved: "93.184.216.34"), DecisionOutcome.Allow),
        new Case("user listed", Allow(users: "alice"), Request("192.0.2.1:80", user: "alice"), DecisionOutcome.Allow),
        new Case("user not listed", Allow(users: "alice"), Request("192.0.2.1:80", user: "bob"), DecisionOutcome.Deny),
        new Case("user names are case-sensitive", Allow(users: "alice"), Request("192.0.2.1:80", user: "Alice"), DecisionOutcome.Deny),
        new Case("anonymous never matches users", Allow(users: "alice"), Request("192.0.2.1:80"), DecisionOutcome.Deny),
        new Case("group listed", Allow(groups: "staff"), Request("192.0.2.1:80", user: "bob", groups: ["staff"]), DecisionOutcome.Allow),
        new Case("users or groups", Allow(users: "alice", groups: "staff"), Request("192.0.2.1:80", user: "alice", groups: ["guests"]), DecisionOutcome.Allow),
        new Case("neither user nor group", Allow(users: "alice", groups: "staff"), Request("192.0.2.1:80", user: "bob", groups: ["guests"]), DecisionOutcome.Deny),
        new Case("kerberos principal listed", Allow(users: "alice@EXAMPLE.ORG", methods: "gssapi"), Request("192.0.2.1:80", user: "alice@EXAMPLE.ORG", method: AuthMethod.Gssapi), DecisionOutcome.Allow),
        new Case("realm pattern", Allow(users: "*@EXAMPLE.ORG"), Request("192.0.2.1:80", user: "bob@EXAMPLE.ORG", method: AuthMethod.Gssapi), DecisionOutcome.Allow),
        new Case("realm pattern, other realm", Allow(users: "*@EXAMPLE.ORG"), Request("192.0.2.1:80", user: "bob@EXAMPLE.ORG.EVIL"), DecisionOutcome.Deny),
        new Case("realm pattern, realm is case-sensitive", Allow(users: "*@EXAMPLE.ORG"), Request("192.0.2.1:80", user: "bob@example.org"), DecisionOutcome.Deny),
        new Case("realm pattern is no general wildcard", Allow(users: "*@EXAMPLE.ORG"), Request("192.0.2.1:80", user: "*@EXAMPLE.ORG.X"), DecisionOutcome.Deny),
        new Case("method", Allow(methods: "username"), Request("192.0.2.1:80", user: "a", method: AuthMethod.UsernamePassword), DecisionOutcome.Allow),
        new Case("wrong method", Allow(methods: "username,gssapi"), Request("192.0.2.1:80"), DecisionOutcome.Deny),
        new Case("version 5", Allow(versions: "5"), Request("192.0.2.1:80"), DecisionOutcome.Allow),
        new Case("version 4 wanted, 5 sent", Allow(versions: "4"), Request("192.0.2.1:80"), DecisionOutcome.Deny),
        new Case("version 4 covers 4a", Allow(versions: "4"), Request("example.com:80", version: SocksVersion.Socks4, resolved: "93.184.216.34"), DecisionOutcome.Allow),
        new Case("version 4a excludes plain 4", Allow(versions: "4a"), Request("192.0.2.1:80", version: SocksVersion.Socks4), DecisionOutcome.Deny),
        new Case("command", Allow(commands: "connect,bind"), Request("192.0.2.1:80", command: PolicyCommand.Bind), DecisionOutcome.Allow),
        new Case("wrong command", Allow(commands: "connect"), Request("192.0.2.1:53", command: PolicyCommand.UdpAssociate), DecisionOutcome.Deny),
        new Case("extension command", Allow(commands: "resolve"), Request("example.com:0", command: PolicyCommand.Resolve, resolved: "93.184.216.34"), DecisionOutcome.Allow),
        new Case("source network", Allow(from: "192.0.2.0/24"), Request("198.51.100.1:80"), DecisionOutcome.Allow),
        new Case("source network, mapped client", Allow(from: "192.0.2.0/24"), Request("198.51.100.1:80", client: "::ffff:192.0.2.10"), DecisionOutcome.Allow),
        new Case("other source network", Allow(from: "10.0.0.0/8"), Request("198.51.100.1:80"), DecisionOutcome.Deny),
        new Case("source port", Allow(fromPorts: "1024-65535"), Request("198.51.100.1:80", clientPort: 5000), DecisionOutcome.Allow),
        new Case("privileged source port", Allow(fromPorts: "1024-65535"), Request("198.51.100.1:80", clientPort: 999), DecisionOutcome.Deny),
        new Case("destination port by service", Allow(ports: "http,https"), Request("198.51.100.1:443"), DecisionOutcome.Allow),
        new Case("destination port outside", Allow(ports: "http,https"), Request("198.51.100.1:23"), DecisionOutcome.Deny),
        new Case("destination exact name", Allow(to: "www.example.com"), Request("WWW.example.com.:80", resolved: "93.184.216.34"), DecisionOutcome.Allow),
        new Case("destination wildcard excludes apex", Allow(to: "*.example.com"), Request("example.com:80", resolved: "93.184.216.34"), DecisionOutcome.Deny),
        new Case("destination dot includes apex", Allow(to: ".example.com"), Request("example.com:80", resolved: "93.184.216.34"), DecisionOutcome.Allow),
        new Case("name pattern does not match an address", Allow(to: ".example.com"), Request("93.184.216.34:80"), DecisionOutcome.Deny),
        new Case("destination network, address", Allow(to: "198.51.100.0/24"), Request("198.51.100.7:80"), DecisionOutcome.Allow),
        new Case("destination network, IPv6", Allow(to: "2001:db8::/32"), Request("[2001:db8::7]:80"), DecisionOutcome.Allow),
        new Case("destination network, name resolved into it", Allow(to: "198.51.100.0/24"), Request("intranet.example:80", resolved: "198.51.100.7"), DecisionOutcome.Allow),
        new Case("destination network, name resolved elsewhere", Allow(to: "198.51.100.0/24"), Request("intranet.example:80", resolved: "203.0.113.7"), DecisionOutcome.Deny),
        new Case("destination network, name not yet resolved", Allow(to: "198.51.100.0/24"), Request("intranet.example:80"), DecisionOutcome.NeedsAddress),
        new Case("allowing a name always needs its address", Allow(to: ".example.com"), Request("www.example.com:80"), DecisionOutcome.NeedsAddress),
        new Case("all conditions at once", Allow(users: "alice", methods: "username", versions: "5", commands: "connect", from: "192.0.2.0/24", to: "*.example.com", ports: "https"),
            Request("www.example.com:443", user: "alice", method: AuthMethod.UsernamePassword, resolved: "93.184.216.34"), DecisionOutcome.Allow),
        new Case("all but one condition", Allow(users: "alice", methods: "username", versions: "5", commands: "connect", from: "192.0.2.0/24", to: "*.example.com", ports: "https"),
            Request("www.example.com:80", user: "alice", method: AuthMethod.UsernamePassword, resolved: "93.184.216.34"), DecisionOutcome.Deny),
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Allow_rule_against_request(Case test)
    {
        var engine = new PolicyEngine(new RuleSet([test.Rule]));
        Assert.Equal(test.Expected, engine.Decide(test.Request).Outcome);
        // Explain walks the same path as Decide.
        Assert.Equal(test.Expected, engine.Explain(test.Request).Decision.Outcome);
    }
}
