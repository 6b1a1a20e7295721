using System.Runtime.Versioning;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>A users file others may read (or a group may write) is named with its fix by check, at start and at reload.</summary>
[Trait("Needs", "windsock-serve")]
[SupportedOSPlatform("linux")]
public sealed class UsersFileModeTests
{
    [Fact]
    public async Task An_exposed_users_file_is_warned_about_with_the_fix_by_check_serve_and_reload()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory();
        var users = Path.Combine(dir.Path, "users");
        await Passwd.AddUserAsync(users, "alice", "alice-pass");
        // 0600, or 0640 (root:windsock) where root makes it and the service's group exists: neither is warned about.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(users) & ~UnixFileMode.GroupRead);
        var config = Path.Combine(dir.Path, "windsock.toml");
        await File.WriteAllTextAsync(config, "[server]\nlisten = [\"127.0.0.1:0\"]\n\n[auth]\nusers_file = \"users\"\n", ct);

        var quiet = await ProcessRunner.RunAsync(Tools.Dotnet, [Tools.WindsockDll, "check", "--config", config], timeout: TimeSpan.FromSeconds(60));
        Assert.True(quiet.ExitCode == 0 && !quiet.StderrMentions("warning"), quiet.Describe());

        File.SetUnixFileMode(users, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var check = await ProcessRunner.RunAsync(Tools.Dotnet, [Tools.WindsockDll, "check", "--config", config], timeout: TimeSpan.FromSeconds(60));
        Assert.True(check.ExitCode == 0, check.Describe());
        Assert.True(check.StderrMentions($"warning: users file {users} is readable by every user of this host"), check.Describe());
        Assert.True(check.StderrMentions($"mode 0644; fix: chmod 640 {users}"), check.Describe());

        await using var server = await WindsockProcess.StartAsync("--config", config);
        await server.WaitForErrorLineAsync(l => l.Contains($"mode 0644; fix: chmod 640 {users}", StringComparison.Ordinal), "the warning at start");

        File.SetUnixFileMode(users, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
        server.Hangup();
        await server.WaitForErrorLineAsync(l => l.Contains($"writable by its group (anyone there can add a user): mode 0660; fix: chmod 640 {users}", StringComparison.Ordinal), "the warning at reload");
    }
}
