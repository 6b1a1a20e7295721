using System.Runtime.Versioning;
using Windsock.Interop.Tests.Infrastructure;
using Windsock.Server.Accounts;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// `[server] user` for systems without systemd: the server started as root binds, switches to the user
/// for good, and serves. The kernel's own view (/proc/PID/status) is what the test believes; curl through
/// the switched server proves it still works, with a users file it reads through its group.
/// </summary>
[Trait("Needs", "windsock-serve")]
[SupportedOSPlatform("linux")]
public sealed class PrivilegeDropTests
{
    private const string Nobody = "65534";
    private static readonly TimeSpan Run = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Started_as_root_with_user_nobody_it_runs_as_nobody_without_capabilities_and_still_serves_and_reloads()
    {
        Assert.SkipUnless(UnixAccounts.EffectiveUserId == 0, "starting as root needs root");
        using var dir = ReadableTempDirectory();
        string users = Path.Combine(dir.Path, "users");
        await Passwd.AddUserAsync(users, "alice", "alice-pass");
        string config = Path.Combine(dir.Path, "windsock.toml");
        await File.WriteAllTextAsync(config, "[server]\nlisten = [\"127.0.0.1:0\"]\nuser = \"nobody\"\n\n[auth]\nusers_file = \"users\"\n");
        File.SetUnixFileMode(config, (UnixFileMode)0b110_100_100);

        // A users file only root can read: the switched server could not reload it, so it does not start.
        FileOwnership.Set(users, 0, 0);
        File.SetUnixFileMode(users, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var refused = await ProcessRunner.RunAsync(Tools.Dotnet, [Tools.WindsockDll, "serve", "--config", config], timeout: Run);
        Assert.True(refused.ExitCode == 1, refused.Describe());
        Assert.True(refused.StderrMentions($"after switching to nobody:nogroup (uid 65534, gid 65534): {users}: error: permission denied reading the users file as nobody:nogroup"), refused.Describe());
        Assert.True(refused.StderrMentions($"chgrp nogroup {users} && chmod g+r {users}"), refused.Describe());
        var check = await ProcessRunner.RunAsync(Tools.Dotnet, [Tools.WindsockDll, "check", "--config", config], timeout: Run);
        Assert.True(check.ExitCode != 0 && check.StderrMentions($"nobody cannot read {users} (root:root, mode 0600)"), check.Describe());

        // Through the group, as the packaged service reads it.
        FileOwnership.Set(users, 0, 65534);
        File.SetUnixFileMode(users, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        await using var server = await WindsockProcess.StartAsync("--config", config);
        var status = await File.ReadAllLinesAsync($"/proc/{server.Pid}/status");
        Assert.Equal(["Uid:", Nobody, Nobody, Nobody, Nobody], Field(status, "Uid:"));
        Assert.Equal(["Gid:", Nobody, Nobody, Nobody, Nobody], Field(status, "Gid:"));
        Assert.Equal(["Groups:", Nobody], Field(status, "Groups:"));
        Assert.Equal(["CapEff:", "0000000000000000"], Field(status, "CapEff:"));
        Assert.Equal(["CapPrm:", "0000000000000000"], Field(status, "CapPrm:"));
        await server.WaitForErrorLineAsync(l => l.Contains("now running as nobody:nogroup (uid 65534, gid 65534)", StringComparison.Ordinal), "the switch line");

        await using var http = new LoopbackHttpServer(bodyLength: 100_000);
        Expect.Body(await Clients.CurlAsync(http.Url("127.0.0.1"), "-x", $"socks5h://alice:alice-pass@{Clients.HostPort(server.IPv4)}"), http, server);

        // A new user, added by root while the server runs as nobody: the reload reads the file through its group.
        await Passwd.AddUserAsync(users, "bob", "bob-pass");
        Assert.Equal((0u, 65534u), FileOwnership.Get(users));
        server.Hangup();
        await server.WaitForLineAsync(l => l.Contains("configuration reloaded", StringComparison.Ordinal), "the reload line");
        Expect.Body(await Clients.CurlAsync(http.Url("127.0.0.1"), "-x", $"socks5h://bob:bob-pass@{Clients.HostPort(server.IPv4)}"), http, server);
    }

    [Fact]
    public async Task A_user_that_does_not_exist_is_an_error_at_its_line_before_anything_is_bound()
    {
        using var dir = new TempDirectory();
        string config = Path.Combine(dir.Path, "windsock.toml");
        await File.WriteAllTextAsync(config, "[server]\nlisten = [\"127.0.0.1:0\"]\nuser = \"no-such-user-windsock-test\"\n");

        var serve = await ProcessRunner.RunAsync(Tools.Dotnet, [Tools.WindsockDll, "serve", "--config", config], timeout: Run);

        Assert.True(serve.ExitCode == 2, serve.Describe());
        Assert.True(serve.StderrMentions($"{config}:3:8: error: server.user \"no-such-user-windsock-test\": there is no such user on this host"), serve.Describe());
        Assert.DoesNotContain("listening on", serve.StdoutText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Started_as_another_user_it_refuses_to_run_rather_than_serve_as_the_wrong_account()
    {
        Assert.SkipUnless(UnixAccounts.EffectiveUserId == 0, "starting as nobody needs root");
        using var dir = ReadableTempDirectory();
        string config = Path.Combine(dir.Path, "windsock.toml");
        await File.WriteAllTextAsync(config, "[server]\nlisten = [\"127.0.0.1:0\"]\nuser = \"daemon\"\n");
        File.SetUnixFileMode(config, (UnixFileMode)0b110_100_100);

        var serve = await ProcessRunner.RunAsync("/usr/bin/setpriv",
            ["--reuid", Nobody, "--regid", Nobody, "--clear-groups", Tools.Dotnet, Tools.WindsockDll, "serve", "--config", config], timeout: Run);

        Assert.True(serve.ExitCode == 1, serve.Describe());
        Assert.True(serve.StderrMentions("[server] user = \"daemon\" needs the server started as root, to switch after binding; it was started as nobody:nogroup (uid 65534, gid 65534)"), serve.Describe());
    }

    private static string[] Field(string[] status, string name) =>
        status.Single(l => l.StartsWith(name, StringComparison.Ordinal)).Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);

    /// <summary>A temp folder others may enter: the switched server reads its files again from there.</summary>
    private static TempDirectory ReadableTempDirectory()
    {
        var dir = new TempDirectory();
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0b111_101_101);
        return dir;
    }
}
