using System.Globalization;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>More unmodified programs under the preload, in the leak-proof setting of <see cref="RunFixture"/>.</summary>
public sealed partial class RunTests
{
    private const string Ssh = TestSshd.Ssh;
    private const string Git = "/usr/bin/git";

    [Fact]
    public async Task Wget_fetches_the_site_by_name_through_the_proxy()
    {
        const int Size = 80_021;
        ProcessResult wget = await fixture.WindsockRunAsync(["--proxy", fixture.Proxy, "--", "/usr/bin/wget", "-q", "-O", "-", fixture.SiteUrl(Size)]);

        Assert.True(wget.ExitCode == 0 && wget.Stdout.AsSpan().SequenceEqual(RunFixture.Pattern(Size)), $"{wget.Describe()}\n{fixture.Server.Transcript()}");
        await ExpectProxiedAsync(Size, count: 1);
    }

    [Fact]
    public async Task Git_clones_over_http_from_a_server_only_the_proxy_reaches()
    {
        Assert.SkipUnless(File.Exists(Git), "needs git");
        using var dir = new TempDirectory();
        string work = Path.Combine(dir.Path, "work");
        string bare = Path.Combine(dir.Path, "served", "repo.git");
        string content = $"cloned through the proxy {Guid.NewGuid()}\n";
        Directory.CreateDirectory(work);
        await File.WriteAllTextAsync(Path.Combine(work, "README"), content, TestContext.Current.CancellationToken);
        foreach (string[] step in (string[][])[
            ["-C", work, "init", "-q"],
            ["-C", work, "add", "README"],
            ["-C", work, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "one"],
            ["clone", "-q", "--bare", work, bare],
            ["-C", bare, "update-server-info"]])
        {
            ProcessResult made = await ProcessRunner.RunAsync(Git, step);
            Assert.True(made.ExitCode == 0, made.Describe());
        }

        // Git's "dumb" HTTP protocol: plain files, served on the proxy side's loopback only.
        await using var served = BackgroundCommand.Start(Tools.Ip, ["netns", "exec", fixture.Namespaces.Proxy, Tools.Python, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", Path.Combine(dir.Path, "served")]);
        string line = await served.WaitForLineAsync(l => l.StartsWith("Serving HTTP on 127.0.0.1 port ", StringComparison.Ordinal), "http.server's line");
        int port = int.Parse(line["Serving HTTP on 127.0.0.1 port ".Length..].Split(' ')[0], CultureInfo.InvariantCulture);

        string clone = Path.Combine(dir.Path, "clone");
        ProcessResult git = await fixture.WindsockRunAsync(["--proxy", fixture.Proxy, "--", Git, "clone", "-q", $"http://{RunFixture.SiteName}:{port}/repo.git", clone]);

        Assert.True(git.ExitCode == 0 && File.Exists(Path.Combine(clone, "README")), $"{git.Describe()}\n{served.Transcript()}");
        Assert.Equal(content, await File.ReadAllTextAsync(Path.Combine(clone, "README"), TestContext.Current.CancellationToken));
        await fixture.Server.WaitForLineAsync(l => l.Contains($"dest={RunFixture.SiteName}:{port}", StringComparison.Ordinal), "git's connections in the request log");
    }

    [Fact]
    public async Task Ssh_runs_a_command_on_an_sshd_only_the_proxy_reaches()
    {
        Assert.SkipUnless(TestSshd.Installed, "needs Debian's openssh-server and openssh-client (test.sh installs them)");
        using var dir = new TempDirectory();
        var site = await TestSshd.PrepareAsync(dir.Path);

        // A port free here is free in the proxy side's fresh namespace too, where only the site and the server listen.
        int port = FreePort.Closed();
        await using var sshd = await site.StartAsync(port, Tools.Ip, "netns", "exec", fixture.Namespaces.Proxy);

        ProcessResult ssh = await fixture.WindsockRunAsync(["--proxy", fixture.Proxy, "--", Ssh,
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-F", "/dev/null",
            "-i", site.UserKey, "-p", port.ToString(CultureInfo.InvariantCulture), $"root@{RunFixture.SiteName}", "echo", "hello"]);

        Assert.True(ssh.ExitCode == 0 && ssh.StdoutText == "hello\n", $"{ssh.Describe()}\n{sshd.Transcript()}\n{fixture.Server.Transcript()}");
        await fixture.Server.WaitForLineAsync(l => l.Contains($"dest={RunFixture.SiteName}:{port}", StringComparison.Ordinal), "the ssh connection in the request log");
    }
}
