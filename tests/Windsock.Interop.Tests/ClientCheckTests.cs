using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>`windsock check --client`: which client routing rule routes a destination, why, and from which source.</summary>
public sealed class ClientCheckTests
{
    private const string Routes = """
        [[rule]]
        name = "ads"
        action = "deny"
        to = ["*.ads.example"]

        [[rule]]
        name = "office"
        action = "direct"
        to = [".corp.example", "10.0.0.0/8"]

        [[rule]]
        name = "web"
        action = "via"
        ports = ["https"]
        proxies = ["socks5h://127.0.0.1:1080", ["socks5h://127.0.0.1:1081", "socks4a://127.0.0.1:1082"]]
        """;

    /// <summary>An empty HOME and no variables: the lookup sees only what a test gives it (and /etc/windsock/client.toml, absent here).</summary>
    private static Task<ProcessResult> CheckAsync(Dictionary<string, string>? environment, params string[] args)
    {
        var env = new Dictionary<string, string> { ["WINDSOCK_CLIENT_CONFIG"] = "", ["ALL_PROXY"] = "", ["all_proxy"] = "", ["XDG_CONFIG_HOME"] = "" };
        foreach (var (name, value) in environment ?? [])
        {
            env[name] = value;
        }

        return ProcessRunner.RunAsync(Tools.Dotnet, [Tools.WindsockDll, "check", .. args], timeout: TimeSpan.FromSeconds(60), environment: env);
    }

    private static async Task<(TempDirectory Dir, string File)> WriteAsync(string text = Routes)
    {
        var dir = new TempDirectory();
        string file = Path.Combine(dir.Path, "client.toml");
        await File.WriteAllTextAsync(file, text, TestContext.Current.CancellationToken);
        return (dir, file);
    }

    [Fact]
    public async Task A_via_route_names_the_rule_its_line_and_the_proxies_in_order()
    {
        (TempDirectory dir, string file) = await WriteAsync();
        using var _ = dir;

        var result = await CheckAsync(new() { ["HOME"] = dir.Path }, "--client", "--client-config", file, "--to", "www.example.org:443");

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Equal($"""
            routes from {file} (--client-config)
            destination: www.example.org:443
            rule 1 "ads" ({file}:1:1) did not match: www.example.org not in {'{'}*.ads.example{'}'}
            rule 2 "office" ({file}:6:1) did not match: www.example.org not in {'{'}.corp.example, 10.0.0.0/8{'}'} (a name is never in a network: the router does no DNS to decide)
            rule 3 "web" ({file}:11:1) matched (via): port 443 in {'{'}443{'}'}; no to: every host
            decided by: rule 3 "web" at {file}:11
            route: via 2 proxies, tried in order (the next only when one cannot be reached):
              1. socks5h://127.0.0.1:1080
              2. socks5h://127.0.0.1:1081 -> socks4a://127.0.0.1:1082 (a chain, first hop first)

            """, result.StdoutText);
    }

    [Fact]
    public async Task Direct_is_exit_0_and_later_rules_are_not_reached()
    {
        (TempDirectory dir, string file) = await WriteAsync();
        using var _ = dir;

        var result = await CheckAsync(null, "--client", "--client-config", file, "--to", "10.1.2.3:22");

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Contains($"rule 2 \"office\" ({file}:6:1) matched (direct): 10.1.2.3 in 10.0.0.0/8\n", result.StdoutText, StringComparison.Ordinal);
        Assert.Contains($"rule 3 \"web\" ({file}:11:1) was not reached\n", result.StdoutText, StringComparison.Ordinal);
        Assert.EndsWith("route: direct (no proxy)\n", result.StdoutText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tracker.ads.example:443", "decided by: rule 1 \"ads\" at FILE:1")]
    [InlineData("www.example.org:22", "decided by: no rule: none in FILE matched, and no match denies")]
    public async Task A_denial_is_exit_1(string to, string decided)
    {
        (TempDirectory dir, string file) = await WriteAsync();
        using var _ = dir;

        var result = await CheckAsync(null, "--client", "--client-config", file, "--to", to);

        Assert.True(result.ExitCode == 1, result.Describe());
        Assert.Contains(decided.Replace("FILE", file, StringComparison.Ordinal) + "\n", result.StdoutText, StringComparison.Ordinal);
        Assert.EndsWith("route: deny (nothing is sent anywhere)\n", result.StdoutText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_client_config_it_uses_the_lookup_of_the_tools_and_says_which_source()
    {
        (TempDirectory dir, string file) = await WriteAsync();
        using var _ = dir;

        var named = await CheckAsync(new() { ["WINDSOCK_CLIENT_CONFIG"] = file }, "--client", "--to", "git.corp.example:22");
        Assert.True(named.ExitCode == 0, named.Describe());
        Assert.StartsWith($"routes from {file} ($WINDSOCK_CLIENT_CONFIG)\n", named.StdoutText, StringComparison.Ordinal);

        string home = Path.Combine(dir.Path, "home");
        Directory.CreateDirectory(Path.Combine(home, ".config", "windsock"));
        string homeFile = Path.Combine(home, ".config", "windsock", "client.toml");
        File.Copy(file, homeFile);
        var found = await CheckAsync(new() { ["HOME"] = home }, "--client", "--to", "git.corp.example:22");
        Assert.True(found.ExitCode == 0, found.Describe());
        Assert.StartsWith($"routes from {homeFile} ($WINDSOCK_CLIENT_CONFIG is not set; the first routing file that exists)\n", found.StdoutText, StringComparison.Ordinal);

        Assert.SkipWhen(File.Exists("/etc/windsock/client.toml"), "/etc/windsock/client.toml exists on this machine and would be found before ALL_PROXY");
        string empty = Path.Combine(dir.Path, "empty");
        var allProxy = await CheckAsync(new() { ["HOME"] = empty, ["ALL_PROXY"] = "socks5h://127.0.0.1:9050" }, "--client", "--to", "example.org:80");
        Assert.True(allProxy.ExitCode == 0, allProxy.Describe());
        Assert.StartsWith("routes from ALL_PROXY ($WINDSOCK_CLIENT_CONFIG is not set and no routing file exists (", allProxy.StdoutText, StringComparison.Ordinal);
        Assert.Contains("$ALL_PROXY is set)\n", allProxy.StdoutText, StringComparison.Ordinal);
        Assert.EndsWith("decided by: ALL_PROXY\nroute: via 1 proxy:\n  1. socks5h://127.0.0.1:9050\n", allProxy.StdoutText, StringComparison.Ordinal);

        var nothing = await CheckAsync(new() { ["HOME"] = empty }, "--client", "--to", "example.org:80");
        Assert.True(nothing.ExitCode == 0, nothing.Describe());
        Assert.Contains("and ALL_PROXY is not set)\n", nothing.StdoutText, StringComparison.Ordinal);
        Assert.EndsWith("route: direct (no proxy)\n", nothing.StdoutText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_routing_file_is_exit_2_with_file_line_and_column()
    {
        (TempDirectory dir, string file) = await WriteAsync(Routes.Replace("action = \"direct\"", "action = \"allow\"", StringComparison.Ordinal));
        using var _ = dir;

        var result = await CheckAsync(null, "--client", "--client-config", file, "--to", "example.org:443");

        Assert.True(result.ExitCode == 2, result.Describe());
        Assert.Equal($"windsock check: {file}:8:10: action must be \"deny\", \"direct\" or \"via\", not \"allow\"\n", result.Stderr);
        Assert.Empty(result.StdoutText);
    }

    [Theory]
    [InlineData("--client")]
    [InlineData("--client", "--to", "example.org")]
    [InlineData("--client", "--to", "example.org:80", "--from", "127.0.0.1")]
    [InlineData("--client-config", "x.toml", "--to", "example.org:80")]
    public async Task Usage_errors_are_exit_2(params string[] args)
    {
        var result = await CheckAsync(null, args);

        Assert.True(result.ExitCode == 2, result.Describe());
        Assert.StartsWith("windsock check: error: ", result.Stderr, StringComparison.Ordinal);
    }
}
