using System.Globalization;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// The client tools take the proxy password from a file (--password-file) or WINDSOCK_PROXY_PASSWORD, so it
/// need not sit in the proxy URL where ps shows it; the user from the URL or WINDSOCK_PROXY_USER.
/// </summary>
[Trait("Needs", "windsock-serve")]
public sealed class ClientCredentialsTests(LoopbackTargets targets)
{
    private static Task<ProcessResult> ConnectAsync(string[] args, byte[] stdin, IReadOnlyDictionary<string, string>? environment = null) =>
        ProcessRunner.RunAsync(Tools.Dotnet, [Tools.WindsockDll, "connect", .. args], stdin: stdin, environment: environment);

    [Fact]
    public async Task The_password_comes_from_a_file_or_the_environment_and_a_wrong_one_is_rejected()
    {
        using var dir = new TempDirectory();
        var users = Path.Combine(dir.Path, "users");
        await Passwd.AddUserAsync(users, "alice", "alice-pass");
        await using var server = await WindsockProcess.StartAsync("--listen", "127.0.0.1:0", "--users", users);
        string port = targets.Echo.Port.ToString(CultureInfo.InvariantCulture);
        string proxyWithUser = $"socks5h://alice@127.0.0.1:{server.IPv4.Port}";
        var payload = Clients.Payload(4096, seed: 1414);

        var passwordFile = Path.Combine(dir.Path, "password");
        await File.WriteAllTextAsync(passwordFile, "alice-pass\n", TestContext.Current.CancellationToken);
        Expect.Echoed(await ConnectAsync(["127.0.0.1", port, "--proxy", proxyWithUser, "--password-file", passwordFile], payload), payload, server);

        var fromEnvironment = new Dictionary<string, string> { ["WINDSOCK_PROXY_USER"] = "alice", ["WINDSOCK_PROXY_PASSWORD"] = "alice-pass" };
        Expect.Echoed(await ConnectAsync(["127.0.0.1", port, "--proxy", $"socks5h://127.0.0.1:{server.IPv4.Port}"], payload, fromEnvironment), payload, server);

        var wrong = await ConnectAsync(["127.0.0.1", port, "--proxy", proxyWithUser], payload, new Dictionary<string, string> { ["WINDSOCK_PROXY_PASSWORD"] = "guess" });
        Assert.NotEqual(0, wrong.ExitCode);
        Assert.True(wrong.StderrMentions("rejected user 'alice'"), wrong.Describe());
    }

    [Fact]
    public async Task A_routing_file_names_a_password_file_per_proxy_and_all_proxy_takes_the_password_from_the_environment()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory();
        var users = Path.Combine(dir.Path, "users");
        await Passwd.AddUserAsync(users, "alice", "alice-pass");
        await Passwd.AddUserAsync(users, "bob", "bob-pass");
        await using var server = await WindsockProcess.StartAsync("--listen", "127.0.0.1:0", "--users", users);
        string port = targets.Echo.Port.ToString(CultureInfo.InvariantCulture);
        string proxy = $"127.0.0.1:{server.IPv4.Port}";
        var payload = Clients.Payload(4096, seed: 1929);
        // No routing file of the machine's or the home folder's may decide instead.
        var clean = new Dictionary<string, string> { ["HOME"] = dir.Path, ["XDG_CONFIG_HOME"] = Path.Combine(dir.Path, "no-config") };

        // The routing file: the password file is relative to the routing file's folder.
        await File.WriteAllTextAsync(Path.Combine(dir.Path, "alice.pass"), "alice-pass\n", ct);
        var routing = Path.Combine(dir.Path, "client.toml");
        await File.WriteAllTextAsync(routing, $"[[rule]]\naction = \"via\"\nproxies = [\"socks5h://alice@{proxy}?password-file=alice.pass\"]\n", ct);
        Expect.Echoed(await ConnectAsync(["127.0.0.1", port], payload, new Dictionary<string, string>(clean) { ["WINDSOCK_CLIENT_CONFIG"] = routing }), payload, server);
        await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal) && l.Contains("user=alice", StringComparison.Ordinal), "alice's session");

        // ALL_PROXY with the user only: the password from WINDSOCK_PROXY_PASSWORD; with neither, both from the environment.
        var bob = new Dictionary<string, string>(clean) { ["ALL_PROXY"] = $"socks5h://bob@{proxy}", ["WINDSOCK_PROXY_PASSWORD"] = "bob-pass" };
        Expect.Echoed(await ConnectAsync(["127.0.0.1", port], payload, bob), payload, server);
        await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal) && l.Contains("user=bob", StringComparison.Ordinal), "bob's session");
        var both = new Dictionary<string, string>(clean) { ["ALL_PROXY"] = $"socks5h://{proxy}", ["WINDSOCK_PROXY_USER"] = "bob", ["WINDSOCK_PROXY_PASSWORD"] = "bob-pass" };
        Expect.Echoed(await ConnectAsync(["127.0.0.1", port], payload, both), payload, server);

        // A user with no password anywhere is a clear error, not an attempt without credentials.
        var missing = await ConnectAsync(["127.0.0.1", port], payload, new Dictionary<string, string>(clean) { ["ALL_PROXY"] = $"socks5h://bob@{proxy}" });
        Assert.Equal(1, missing.ExitCode);
        Assert.True(missing.StderrMentions("no password for bob: add ?password-file=PATH to the URL, or set WINDSOCK_PROXY_PASSWORD"), missing.Describe());
        var wrong = await ConnectAsync(["127.0.0.1", port], payload, new Dictionary<string, string>(bob) { ["WINDSOCK_PROXY_PASSWORD"] = "guess" });
        Assert.True(wrong.StderrMentions("rejected user 'bob'"), wrong.Describe());
    }
}
