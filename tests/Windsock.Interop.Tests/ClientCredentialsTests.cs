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
}
