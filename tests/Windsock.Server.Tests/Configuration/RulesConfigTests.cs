using System.Net;
using Windsock.Policy;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Server.Configuration;
using Xunit;

namespace Windsock.Server.Tests.Configuration;

/// <summary>[[rule]] tables, [access] and auth.groups_file (docs/policy.md).</summary>
public sealed class RulesConfigTests
{
    private const string FileName = "/etc/windsock/windsock.toml";

    private const string GroupsFile = "[auth]\ngroups_file = \"/etc/windsock/groups\"\n";

    private static ConfigException Fails(string toml) =>
        Assert.Throws<ConfigException>(() => ConfigLoader.Parse(toml, FileName));

    [Fact]
    public void Without_rules_there_is_no_rule_set()
    {
        ServerOptions options = ConfigLoader.Parse("[server]\nlog_format = \"json\"\n", FileName);

        Assert.Null(options.Rules);
        Assert.Null(options.GroupsFile);
    }

    [Fact]
    public void Every_rule_key_is_read()
    {
        const string toml = """
            [auth]
            groups_file = "/etc/windsock/groups"

            [[rule]]
            action = "deny"
            name = "everything"
            users = ["alice"]
            groups = ["staff"]
            methods = ["username", "none"]
            versions = ["4a", 5]
            commands = ["connect", "bind"]
            from = ["10.0.0.0/8", "2001:db8::1"]
            from_ports = [1024, "2000-3000"]
            to = ["192.0.2.0/24", "*.example.com"]
            ports = ["https", 8080, "9000-9100"]
            reply = "connection-refused"
            reason = "a reason"
            log = "error"
            notify = ["/usr/bin/logger -t windsock '%u denied'"]
            ident = "check"
            """;

        RuleSet rules = ConfigLoader.Parse(toml, FileName).Rules!;

        AccessRule rule = Assert.Single(rules.Rules);
        Assert.Equal(RuleAction.Deny, rule.Action);
        Assert.Equal("everything", rule.Name);
        Assert.Equal(new SourceLocation(FileName, 4, 1), rule.Location);
        Assert.Equal(["alice"], rule.Users!.Users);
        Assert.Equal(["staff"], rule.Users.Groups);
        Assert.True(rule.Methods!.Contains(AuthMethod.UsernamePassword));
        Assert.True(rule.Methods.Contains(AuthMethod.None));
        Assert.False(rule.Methods.Contains(AuthMethod.Gssapi));
        Assert.Equal("{4a,5}", rule.Versions!.ToString());
        Assert.True(rule.Commands!.Contains(PolicyCommand.Bind));
        Assert.False(rule.Commands.Contains(PolicyCommand.UdpAssociate));
        Assert.True(rule.From!.Contains(IPAddress.Parse("10.9.8.7")));
        Assert.True(rule.From.Contains(IPAddress.Parse("2001:db8::1")));
        Assert.True(rule.FromPorts!.Contains(1024));
        Assert.True(rule.FromPorts.Contains(2500));
        Assert.False(rule.FromPorts.Contains(1025));
        Assert.Equal([IPNetwork.Parse("192.0.2.0/24")], rule.To!.Networks.Networks);
        Assert.Single(rule.To.Hosts);
        Assert.True(rule.Ports!.Contains(443));
        Assert.True(rule.Ports.Contains(8080));
        Assert.True(rule.Ports.Contains(9050));
        Assert.Equal(Socks5ReplyCode.ConnectionRefused, rule.Reply.Socks5Code);
        Assert.Equal("a reason", rule.Reason);
        Assert.Equal(RuleLogLevel.Error, rule.LogLevel);
        Assert.Equal(["/usr/bin/logger -t windsock '%u denied'"], rule.Notify);
        Assert.Equal(IdentMode.Check, rule.Ident);
    }

    [Fact]
    public void Omitted_keys_match_everything_and_keep_the_defaults()
    {
        RuleSet rules = ConfigLoader.Parse("[[rule]]\naction = \"allow\"\n", FileName).Rules!;

        AccessRule rule = Assert.Single(rules.Rules);
        Assert.Null(rule.Name);
        Assert.Null(rule.Users);
        Assert.Null(rule.Methods);
        Assert.Null(rule.Versions);
        Assert.Null(rule.Commands);
        Assert.Null(rule.From);
        Assert.Null(rule.FromPorts);
        Assert.Null(rule.To);
        Assert.Null(rule.Ports);
        Assert.Equal(DenyReply.NotAllowed, rule.Reply);
        Assert.Null(rule.Reason);
        Assert.Equal(RuleLogLevel.Info, rule.LogLevel);
        Assert.Empty(rule.Notify);
        Assert.Equal(IdentMode.Off, rule.Ident);
        Assert.Equal(DenyReply.NotAllowed, rules.DefaultReply);
        Assert.Equal(RuleLogLevel.Warning, rules.DefaultLogLevel);
        Assert.Empty(rules.NotifyOnDeny);
    }

    [Fact]
    public void Rules_keep_file_order_and_their_header_lines()
    {
        const string toml = "[[rule]]\naction = \"deny\"\nname = \"a\"\n\n# comment\n  [[rule]]\naction = \"allow\"\n[server]\nlog_format = \"json\"\n[[rule]]\naction = \"allow\"\nname = \"c\"\n";

        RuleSet rules = ConfigLoader.Parse(toml, FileName).Rules!;

        Assert.Equal(["a", null, "c"], rules.Rules.Select(r => r.Name));
        Assert.Equal([1, 6, 10], rules.Rules.Select(r => r.Location.Line));
        Assert.All(rules.Rules, r => Assert.Equal(1, r.Location.Column));
        Assert.Equal("rule 3 \"c\" (/etc/windsock/windsock.toml:10:1)", rules.Rules[2].Describe(3));
    }

    [Fact]
    public void Access_section_sets_the_rule_set_defaults()
    {
        const string toml = """
            [access]
            default_reply = 5
            default_log = "error"
            notify_denied = ["/usr/bin/mail -s 'denied %u' root", "/usr/bin/logger denied"]

            [[rule]]
            action = "allow"
            """;

        ServerOptions options = ConfigLoader.Parse(toml, FileName);

        Assert.Equal(Socks5ReplyCode.ConnectionRefused, options.Rules!.DefaultReply.Socks5Code);
        Assert.Equal(RuleLogLevel.Error, options.Rules.DefaultLogLevel);
        Assert.Equal(["/usr/bin/mail -s 'denied %u' root", "/usr/bin/logger denied"], options.Rules.NotifyOnDeny);
        Assert.Equal($"{FileName}:2:1", options.Origins["access.default_reply"]);
    }

    [Theory]
    [InlineData("\"drop\"", true, Socks5ReplyCode.NotAllowedByRuleset)]
    [InlineData("\"host-unreachable\"", false, Socks5ReplyCode.HostUnreachable)]
    [InlineData("1", false, Socks5ReplyCode.GeneralFailure)]
    [InlineData("8", false, Socks5ReplyCode.AddressTypeNotSupported)]
    public void Replies_are_names_or_codes(string value, bool drop, Socks5ReplyCode code)
    {
        AccessRule rule = ConfigLoader.Parse($"[[rule]]\naction = \"deny\"\nreply = {value}\n", FileName).Rules!.Rules[0];

        Assert.Equal(drop, rule.Reply.IsDrop);
        Assert.Equal(code, rule.Reply.Socks5Code);
    }

    [Fact]
    public void Groups_file_resolves_against_the_config_folder()
    {
        ServerOptions options = ConfigLoader.Parse("[auth]\ngroups_file = \"groups\"\n", "/etc/windsock/conf.d/windsock.toml");

        Assert.Equal("/etc/windsock/conf.d/groups", options.GroupsFile);
        Assert.Equal("/etc/windsock/conf.d/windsock.toml:2:1", options.Origins["auth.groups_file"]);
    }

    [Theory]
    // The table itself.
    [InlineData("[rule]\naction = \"allow\"\n", 1, 2, "[rule] declares a single table")]
    [InlineData("[[rule]]\naction = \"allow\"\n[rule.x]\n", 3, 2, "unknown section [rule.x]")]
    [InlineData("[[rule.x]]\n", 1, 3, "unknown section [[rule.x]]")]
    [InlineData("rule = 1\n", 1, 1, "must be written as [[rule]] tables")]
    [InlineData("rule.action = \"allow\"\n", 1, 1, "writes a rule as a dotted key")]
    [InlineData("[[rules]]\n", 1, 3, "array of tables")]
    [InlineData("[[access]]\n", 1, 3, "array of tables")]
    [InlineData("[[rule]]\nname = \"x\"\n", 1, 1, "rule 1 has no action")]
    [InlineData("[[rule]]\naction = \"allow\"\n\n  [[rule]]\nname = \"x\"\n", 4, 1, "rule 2 has no action")]
    // Unknown and nested keys.
    [InlineData("[[rule]]\naction = \"allow\"\nport = [80]\n", 3, 1, "unknown key \"port\" in [[rule]] (rule 1)")]
    [InlineData("[[rule]]\naction = \"allow\"\nlisten = [\"127.0.0.1:1\"]\n", 3, 1, "unknown key \"listen\"")]
    [InlineData("[[rule]]\naction = \"allow\"\nports.x = 1\n", 3, 1, "no sub-key \"x\"")]
    [InlineData("[access]\ndefault_replay = 1\n[[rule]]\naction = \"allow\"\n", 2, 1, "unknown key \"default_replay\" in [access]")]
    // Wrong types and values, at the value.
    [InlineData("[[rule]]\naction = \"alow\"\n", 2, 10, "unknown action (rule 1) \"alow\"")]
    [InlineData("[[rule]]\naction = true\n", 2, 10, "action (rule 1) must be one of")]
    [InlineData("[[rule]]\naction = \"deny\"\nports = 443\n", 3, 9, "must be an array, not a single integer")]
    [InlineData("[[rule]]\naction = \"deny\"\nto = \"10.0.0.0/8\"\n", 3, 6, "must be an array, not a single string")]
    [InlineData("[[rule]]\naction = \"deny\"\ncommands = [\"connect\", 1]\n", 3, 24, "commands (rule 1) items must be strings, not an integer")]
    [InlineData("[[rule]]\naction = \"deny\"\nname = 1\n", 3, 8, "name (rule 1) must be")]
    [InlineData("[[rule]]\naction = \"deny\"\nreason = \"two\\nlines\"\n", 3, 10, "control character")]
    [InlineData("[[rule]]\naction = \"deny\"\nlog = \"warn\"\n", 3, 7, "unknown log (rule 1) \"warn\"")]
    [InlineData("[[rule]]\naction = \"deny\"\nident = \"yes\"\n", 3, 9, "unknown ident (rule 1)")]
    // Empty arrays match nothing.
    [InlineData("[[rule]]\naction = \"deny\"\nports = []\n", 3, 9, "ports (rule 1) is an empty array, which matches nothing")]
    [InlineData("[[rule]]\naction = \"deny\"\nusers = []\n", 3, 9, "is an empty array")]
    [InlineData("[[rule]]\naction = \"deny\"\nnotify = []\n", 3, 10, "is an empty array")]
    [InlineData("[access]\nnotify_denied = []\n[[rule]]\naction = \"deny\"\n", 2, 17, "is an empty array")]
    // Element errors from the Policy parsers, at the element.
    [InlineData("[[rule]]\naction = \"deny\"\nto = [\"10.0.0.0/8\", \"10.1.2.3/8\"]\n", 3, 21, "has bits set after the /8 prefix")]
    [InlineData("[[rule]]\naction = \"deny\"\nto = [\"ex*ample.com\"]\n", 3, 7, "host pattern")]
    [InlineData("[[rule]]\naction = \"deny\"\nfrom = [\"example.com\"]\n", 3, 9, "is not an IP address")]
    [InlineData("[[rule]]\naction = \"deny\"\nfrom = [\"010.0.0.1\"]\n", 3, 9, "dotted-quad")]
    [InlineData("[[rule]]\naction = \"deny\"\nports = [80, \"telnett\"]\n", 3, 14, "\"telnett\" is not a port")]
    [InlineData("[[rule]]\naction = \"deny\"\nports = [70000]\n", 3, 10, "70000")]
    [InlineData("[[rule]]\naction = \"deny\"\nfrom_ports = [\"2000-1000\"]\n", 3, 15, "runs backwards")]
    [InlineData("[[rule]]\naction = \"deny\"\nversions = [4, 6]\n", 3, 16, "\"6\" is not a SOCKS version")]
    [InlineData("[[rule]]\naction = \"deny\"\nmethods = [\"password\"]\n", 3, 12, "not an authentication method")]
    [InlineData("[[rule]]\naction = \"deny\"\ncommands = [\"udp-associate\"]\n", 3, 13, "not a command")]
    [InlineData("[[rule]]\naction = \"deny\"\nusers = [\" alice\"]\n", 3, 10, "not a user or group name")]
    [InlineData("[[rule]]\naction = \"deny\"\nnotify = [\"mail root\"]\n", 3, 11, "must be an absolute path")]
    [InlineData("[access]\nnotify_denied = [\"/bin/x 'open\"]\n[[rule]]\naction = \"deny\"\n", 2, 18, "unclosed")]
    // Replies.
    [InlineData("[[rule]]\naction = \"allow\"\nreply = \"drop\"\n", 3, 1, "reply (rule 1) is set on an allow rule")]
    [InlineData("[[rule]]\naction = \"deny\"\nreply = \"refused\"\n", 3, 9, "is not a reply")]
    [InlineData("[[rule]]\naction = \"deny\"\nreply = 9\n", 3, 9, "reply code 9")]
    [InlineData("[[rule]]\naction = \"deny\"\nreply = 2.0\n", 3, 9, "must be a reply name")]
    [InlineData("[access]\ndefault_reply = \"nope\"\n[[rule]]\naction = \"deny\"\n", 2, 17, "is not a reply")]
    [InlineData("[access]\ndefault_log = \"loud\"\n[[rule]]\naction = \"deny\"\n", 2, 15, "unknown access.default_log")]
    // Whole-file checks.
    [InlineData("[access]\ndefault_log = \"info\"\n", 2, 1, "there is no [[rule]]")]
    [InlineData("[[rule]]\naction = \"allow\"\ngroups = [\"staff\"]\n", 3, 1, "no groups file is configured")]
    [InlineData("[auth]\ngroups_file = \"\"\n", 2, 15, "auth.groups_file is empty")]
    [InlineData("[auth]\ngroups_file = 1\n", 2, 15, "auth.groups_file must be a path")]
    public void Problems_are_located(string toml, int line, int column, string message)
    {
        ConfigException error = Fails(toml);

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal((line, column), (error.Line, error.Column));
        Assert.NotEmpty(error.Fix);
    }

    [Fact]
    public void Unknown_rule_keys_suggest_the_closest()
    {
        ConfigException error = Fails("[[rule]]\naction = \"allow\"\ncomands = [\"connect\"]\n");

        Assert.StartsWith("did you mean \"commands\"?", error.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void A_server_key_below_a_rule_says_where_it_belongs()
    {
        ConfigException error = Fails("[[rule]]\naction = \"allow\"\nlisten = [\"127.0.0.1:1\"]\n");

        Assert.Contains("belongs in [server]", error.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void A_misspelt_rule_table_suggests_rule()
    {
        ConfigException error = Fails("[rules]\n");

        Assert.Contains("[[rule]]", error.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void A_policy_parser_fix_becomes_the_fix()
    {
        ConfigException error = Fails("[[rule]]\naction = \"deny\"\nto = [\"10.1.2.3/8\"]\n");

        Assert.Equal("to (rule 1): network \"10.1.2.3/8\" has bits set after the /8 prefix", error.Message);
        Assert.Equal("write \"10.0.0.0/8\" for the network or \"10.1.2.3/32\" for the single host", error.Fix);
    }

    [Fact]
    public void The_first_problem_in_the_file_is_reported()
    {
        ConfigException error = Fails("[[rule]]\naction = \"deny\"\nports = []\n[[rule]]\naction = \"x\"\n[server]\nlisten = 1\n");

        Assert.Equal(3, error.Line);
    }

    [Fact]
    public void The_handbook_site_policy_loads_and_decides_as_intended()
    {
        string path = Path.Combine(RepositoryRoot(), "examples", "handbook-site.toml");
        ServerOptions options = ConfigLoader.Load(path);
        Assert.Null(OpenProxyGuard.Check(options));
        Assert.Equal(Path.Combine(RepositoryRoot(), "examples", "groups"), options.GroupsFile);
        RuleSet rules = options.Rules!;
        Assert.Equal(["no internal", "no telnet", "dns resolver", "no other udp", "staff web and mail"], rules.Rules.Select(r => r.Name));
        Assert.Equal(["/usr/bin/mail -s 'windsock: %u@%a denied %Z:%s' root"], rules.NotifyOnDeny);
        var engine = new PolicyEngine(rules);
        IPAddress web = IPAddress.Parse("93.184.216.34");
        string[] staff = ["staff"];

        // Staff reach the web and mail, by address or by name once resolved.
        Decision bobWeb = engine.Decide(Request("bob", staff, SocksEndpoint.FromHost("www.example.org", 443), resolved: web));
        Assert.Equal(DecisionOutcome.Allow, bobWeb.Outcome);
        Assert.Equal(5, bobWeb.RuleNumber);
        Assert.True(engine.Decide(Request("bob", staff, SocksEndpoint.FromAddress(web, 587))).IsAllowed);
        Assert.Equal(DecisionOutcome.NeedsAddress, engine.Decide(Request("bob", staff, SocksEndpoint.FromHost("www.example.org", 443))).Outcome);

        // ...but not other ports, and not internal addresses, whatever the name.
        Assert.Equal(DecisionBasis.NoRuleMatched, engine.Decide(Request("bob", staff, SocksEndpoint.FromAddress(web, 22))).Basis);
        Decision intranet = engine.Decide(Request("bob", staff, SocksEndpoint.FromHost("intranet.example.org", 443), resolved: IPAddress.Parse("10.1.2.3")));
        Assert.Equal((DecisionOutcome.Deny, 1), (intranet.Outcome, intranet.RuleNumber));

        // Nobody telnets out; the denial is mailed to root. (For a name, rule 1 needs its address
        // first: a name could resolve into the internal ranges, whose denial is worded differently.)
        Assert.Equal(DecisionOutcome.NeedsAddress, engine.Decide(Request("bob", staff, SocksEndpoint.FromHost("bbs.example.org", 23))).Outcome);
        Decision telnet = engine.Decide(Request("bob", staff, SocksEndpoint.FromHost("bbs.example.org", 23), resolved: IPAddress.Parse("198.51.100.23")));
        Assert.Equal((DecisionOutcome.Deny, 2), (telnet.Outcome, telnet.RuleNumber));
        Assert.Equal(Socks5ReplyCode.ConnectionRefused, telnet.Reply.Socks5Code);
        Assert.Equal("nobody may telnet out", telnet.Reason);
        Assert.Equal(rules.NotifyOnDeny, telnet.Notify);

        // UDP only to the resolver.
        Assert.True(engine.Decide(Request("alice", [], SocksEndpoint.FromAddress(IPAddress.Parse("192.0.2.53"), 53), PolicyCommand.UdpAssociate)).IsAllowed);
        Decision otherDns = engine.Decide(Request("bob", staff, SocksEndpoint.FromAddress(IPAddress.Parse("8.8.8.8"), 53), PolicyCommand.UdpAssociate));
        Assert.Equal((DecisionOutcome.Deny, 4), (otherDns.Outcome, otherDns.RuleNumber));
        Assert.True(engine.Decide(Request("bob", staff, SocksEndpoint.FromAddress(IPAddress.Any, 0), PolicyCommand.UdpAssociate) with { AssociationSetup = true }).IsAllowed);

        // Users outside staff, and unauthenticated requests, are denied by default, with mail.
        Decision carol = engine.Decide(Request("carol", [], SocksEndpoint.FromAddress(web, 80)));
        Assert.Equal((DecisionOutcome.Deny, DecisionBasis.NoRuleMatched), (carol.Outcome, carol.Basis));
        Assert.Equal(rules.NotifyOnDeny, carol.Notify);
        Assert.False(engine.Decide(Request(null, [], SocksEndpoint.FromAddress(web, 80)) with { Method = AuthMethod.None }).IsAllowed);

        // The safe default: staff from another machine do not reach the proxy host's loopback.
        Assert.Equal(DecisionBasis.SafeDefault, engine.Decide(Request("bob", staff, SocksEndpoint.FromAddress(IPAddress.Loopback, 80))).Basis);
    }

    private static AccessRequest Request(string? user, string[] groups, SocksEndpoint destination, PolicyCommand command = PolicyCommand.Connect, IPAddress? resolved = null) => new()
    {
        User = user,
        Groups = groups,
        Method = AuthMethod.UsernamePassword,
        Command = command,
        ClientAddress = IPAddress.Parse("192.0.2.10"),
        ClientPort = 40000,
        Destination = destination,
        ResolvedAddress = resolved,
    };

    internal static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Windsock.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("repository root not found");
    }
}
