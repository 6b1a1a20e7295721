using System.Net;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// Tor's RESOLVE / RESOLVE_PTR against the real `windsock serve`: Debian's tor-resolve (Tor's own
/// client for them) and `windsock resolve`, with --proxy and with the routing file.
/// </summary>
[Trait("Needs", "windsock-serve")]
public sealed class ResolveInteropTests(OpenServerFixture fixture) : IClassFixture<OpenServerFixture>
{
    private const string TorResolve = "/usr/bin/tor-resolve";

    private WindsockProcess Server => fixture.Server;

    private string ProxyAddress => $"127.0.0.1:{Server.IPv4.Port}";

    private static Task<ProcessResult> WindsockResolveAsync(string[] args, IReadOnlyDictionary<string, string>? environment = null) =>
        ProcessRunner.RunAsync(Tools.Dotnet, [Tools.WindsockDll, "resolve", .. args], environment: environment);

    private static void SkipWithoutTorResolve() =>
        Assert.SkipUnless(File.Exists(TorResolve), "needs Debian's tor package for tor-resolve (test.sh installs it)");

    [Fact]
    public async Task Tor_resolve_gets_the_address_of_a_name()
    {
        SkipWithoutTorResolve();
        var result = await ProcessRunner.RunAsync(TorResolve, ["-5", "localhost", ProxyAddress]);
        Assert.True(result.ExitCode == 0 && result.StdoutText.Trim() == "127.0.0.1", result.Describe());
        await Server.WaitForLineAsync(
            l => l.Contains("command=resolve dest=localhost:0", StringComparison.Ordinal) && l.Contains("reason=\"resolved to 127.0.0.1\"", StringComparison.Ordinal),
            "the RESOLVE end line");
    }

    [Fact]
    public async Task Tor_resolve_gets_the_name_of_an_address()
    {
        SkipWithoutTorResolve();
        string expected = (await Dns.GetHostEntryAsync(IPAddress.Loopback)).HostName;
        var result = await ProcessRunner.RunAsync(TorResolve, ["-x", "127.0.0.1", ProxyAddress]);
        Assert.True(result.ExitCode == 0 && result.StdoutText.Trim() == expected, result.Describe());
        await Server.WaitForLineAsync(l => l.Contains("command=resolve-ptr dest=127.0.0.1:0", StringComparison.Ordinal), "the RESOLVE_PTR line");
    }

    [Fact]
    public async Task Tor_resolve_fails_for_a_name_that_does_not_exist()
    {
        SkipWithoutTorResolve();
        var result = await ProcessRunner.RunAsync(TorResolve, ["-5", "no-such-host.invalid", ProxyAddress]);
        Assert.True(result.ExitCode != 0 && result.StdoutText.Trim().Length == 0, result.Describe());
        await Server.WaitForLineAsync(l => l.Contains("dest=no-such-host.invalid:0", StringComparison.Ordinal) && l.Contains("reply=4", StringComparison.Ordinal), "the refusal");
    }

    [Fact]
    public async Task Windsock_resolve_prints_the_address_or_the_name()
    {
        string proxy = $"socks5h://{ProxyAddress}";
        var forward = await WindsockResolveAsync(["localhost", "--proxy", proxy]);
        Assert.True(forward.ExitCode == 0 && forward.StdoutText == "127.0.0.1\n" && forward.Stderr.Length == 0, forward.Describe());

        string expected = (await Dns.GetHostEntryAsync(IPAddress.Loopback)).HostName;
        var reverse = await WindsockResolveAsync(["127.0.0.1", "--proxy", proxy]);
        Assert.True(reverse.ExitCode == 0 && reverse.StdoutText.Trim() == expected, reverse.Describe());

        var missing = await WindsockResolveAsync(["no-such-host.invalid", "--proxy", proxy]);
        Assert.True(missing.ExitCode == 1 && missing.StdoutText.Length == 0, missing.Describe());
        Assert.Equal($"windsock resolve: no-such-host.invalid: proxy {ProxyAddress} refused: host unreachable (reply 4)", missing.Stderr.Trim());
    }

    [Fact]
    public async Task Windsock_resolve_follows_the_routing_file()
    {
        using var dir = new TempDirectory();
        string file = Path.Combine(dir.Path, "client.toml");
        await File.WriteAllTextAsync(file, $"""
            [[rule]]
            name = "blocked"
            action = "deny"
            to = ["blocked.test"]

            [[rule]]
            name = "through the proxy"
            action = "via"
            to = ["localhost"]
            proxies = ["socks5h://{ProxyAddress}"]
            """);
        var env = new Dictionary<string, string> { ["WINDSOCK_CLIENT_CONFIG"] = file };

        var via = await WindsockResolveAsync(["localhost", "--verbose"], env);
        Assert.True(via.ExitCode == 0 && via.StdoutText == "127.0.0.1\n" && via.StderrMentions("RESOLVE localhost:0 granted"), via.Describe());

        var denied = await WindsockResolveAsync(["blocked.test"], env);
        Assert.True(denied.ExitCode == 1 && denied.StdoutText.Length == 0 && denied.StderrMentions("denied by rule 1 \"blocked\""), denied.Describe());
    }
}
