using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>`windsock check` as an administrator runs it: exit codes, the deciding rule and its location, located config errors.</summary>
public sealed class CheckCommandTests
{
    private const string Config = """
        [auth]
        groups_file = "groups"

        [access]
        default_reply = "connection-refused"

        [[rule]]
        name = "no telnet"
        action = "deny"
        ports = ["telnet"]

        [[rule]]
        name = "staff web"
        action = "allow"
        groups = ["staff"]
        ports = [80, 443]
        """;

    private static Task<ProcessResult> CheckAsync(params string[] args) =>
        ProcessRunner.RunAsync(Tools.Dotnet, [Tools.WindsockDll, "check", .. args], timeout: TimeSpan.FromSeconds(60));

    private static async Task<(TempDirectory Dir, string Config)> WriteConfigAsync(string toml = Config, string groups = "staff: alice, bob\n")
    {
        var dir = new TempDirectory();
        string config = Path.Combine(dir.Path, "windsock.toml");
        // The requests below come from the office network, which the server admits (as check now asks allowed_clients too).
        await File.WriteAllTextAsync(config, toml + "\n\n[server]\nallowed_clients = [\"127.0.0.0/8\", \"192.0.2.0/24\"]\n", TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(dir.Path, "groups"), groups, TestContext.Current.CancellationToken);
        return (dir, config);
    }

    [Fact]
    public async Task A_valid_configuration_reports_its_rules()
    {
        (TempDirectory dir, string config) = await WriteConfigAsync();
        using var _ = dir;

        var result = await CheckAsync("--config", config);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("configuration OK: 2 rules\n", result.StdoutText);
    }

    [Fact]
    public async Task Outside_addresses_are_named_with_what_they_are_the_source_of()
    {
        (TempDirectory dir, string config) = await WriteConfigAsync(Config + "\n\n[outside]\nipv4 = \"127.0.0.2\"\n");
        using var _ = dir;

        var result = await CheckAsync("--config", config);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("outside addresses: 127.0.0.2: the source of outbound connections and of UDP datagrams", result.StdoutText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_configuration_names_file_line_and_column()
    {
        (TempDirectory dir, string config) = await WriteConfigAsync(Config.Replace("ports = [80, 443]", "ports = [80, \"htps\"]", StringComparison.Ordinal));
        using var _ = dir;

        var result = await CheckAsync("--config", config);

        Assert.Equal(1, result.ExitCode);
        Assert.True(result.StderrMentions($"{config}:16:14: error: ports (rule 2): \"htps\" is not a port"), result.Describe());
        Assert.Empty(result.StdoutText);
    }

    [Fact]
    public async Task A_bad_groups_file_is_located()
    {
        (TempDirectory dir, string config) = await WriteConfigAsync(groups: "staff: alice\nstaff bob\n");
        using var _ = dir;

        var result = await CheckAsync("--config", config);

        Assert.Equal(1, result.ExitCode);
        Assert.True(result.StderrMentions($"{Path.Combine(dir.Path, "groups")}:2:1: error"), result.Describe());
        Assert.True(result.StderrMentions($"groups file set by {config}:2:1"), result.Describe());
    }

    [Fact]
    public async Task An_allowed_request_names_the_rule_and_why_earlier_rules_did_not_match()
    {
        (TempDirectory dir, string config) = await WriteConfigAsync();
        using var _ = dir;

        var result = await CheckAsync("--config", config, "--user", "alice", "--from", "192.0.2.10", "--to", "192.0.2.80:443");

        Assert.Equal(0, result.ExitCode);
        string[] lines = result.StdoutText.Split('\n');
        Assert.Contains($"allow by rule 2 \"staff web\" ({config}:12:1)", lines);
        Assert.Contains($"rule 1 \"no telnet\" ({config}:7:1) did not match: destination port 443 (https) not in {{23}}", lines);
        Assert.Contains("user alice in groups {staff}", result.StdoutText, StringComparison.Ordinal);
        Assert.Equal("verdict: allow", lines[^2]);
    }

    [Fact]
    public async Task A_denied_request_exits_1_with_the_reply()
    {
        (TempDirectory dir, string config) = await WriteConfigAsync();
        using var _ = dir;

        var telnet = await CheckAsync("--config", config, "--user", "bob", "--from", "192.0.2.10:40000", "--to", "192.0.2.80:telnet");
        var carol = await CheckAsync("--config", config, "--user", "carol", "--from", "192.0.2.10", "--to", "192.0.2.80:80");

        Assert.Equal(1, telnet.ExitCode);
        Assert.Contains($"deny by rule 1 \"no telnet\" ({config}:7:1), reply not-allowed", telnet.StdoutText, StringComparison.Ordinal);
        Assert.Equal(1, carol.ExitCode);
        Assert.Contains("deny by no rule matched: default deny, reply connection-refused", carol.StdoutText, StringComparison.Ordinal);
        Assert.Contains("user carol not in groups {staff}", carol.StdoutText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_name_whose_verdict_needs_the_address_is_not_guessed()
    {
        const string toml = "[[rule]]\naction = \"deny\"\nto = [\"10.0.0.0/8\"]\n\n[[rule]]\naction = \"allow\"\n";
        (TempDirectory dir, string config) = await WriteConfigAsync(toml);
        using var _ = dir;

        var unresolved = await CheckAsync("--config", config, "--from", "192.0.2.10", "--to", "intranet.example:80");
        var inside = await CheckAsync("--config", config, "--from", "192.0.2.10", "--to", "intranet.example:80", "--address", "10.1.2.3");
        var mixed = await CheckAsync("--config", config, "--from", "192.0.2.10", "--to", "intranet.example:80", "--address", "10.1.2.3", "--address", "198.51.100.7");

        Assert.Equal(1, unresolved.ExitCode);
        Assert.Contains("verdict: depends on the address intranet.example resolves to", unresolved.StdoutText, StringComparison.Ordinal);
        Assert.Equal(1, inside.ExitCode);
        Assert.Contains("address 10.1.2.3:\n  deny by rule 1", inside.StdoutText, StringComparison.Ordinal);
        Assert.Equal(0, mixed.ExitCode);
        Assert.Contains("verdict: allow (the server connects to the first allowed address, 198.51.100.7)", mixed.StdoutText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resolve_uses_the_system_resolver()
    {
        const string toml = "[[rule]]\naction = \"allow\"\nto = [\"127.0.0.0/8\", \"::1\"]\n";
        (TempDirectory dir, string config) = await WriteConfigAsync(toml);
        using var _ = dir;

        var result = await CheckAsync("--config", config, "--from", "192.0.2.10", "--to", "localhost:80", "--resolve");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("(the system resolver)", result.StdoutText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--from 192.0.2.10")]
    [InlineData("--from 10.1 --to 192.0.2.1:80")]
    [InlineData("--from 192.0.2.10 --to 192.0.2.1")]
    [InlineData("--from 192.0.2.10 --to 192.0.2.1:80 --command associate")]
    [InlineData("--from 192.0.2.10 --to 192.0.2.1:80 --socks-version 4a")]
    [InlineData("--from 192.0.2.10 --to 192.0.2.1:80 --bogus")]
    [InlineData("--from 192.0.2.10 --to")]
    public async Task Usage_errors_exit_2(string args)
    {
        (TempDirectory dir, string config) = await WriteConfigAsync();
        using var _ = dir;

        var result = await CheckAsync(["--config", config, .. args.Split(' ')]);

        Assert.Equal(2, result.ExitCode);
        Assert.True(result.StderrMentions("windsock check: error:"), result.Describe());
    }
}
