using System.Runtime.Versioning;
using System.Text;
using Windsock.Interop.Tests.Infrastructure;
using Windsock.Server.Accounts;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// The Debian package as an administrator gets it: packaging/deb/build (NativeAOT publish, dpkg-deb),
/// lintian without an error, `dpkg -i` on this machine, the installed program checking the installed
/// conffile, the unit verified by systemd-analyze, a users file made by the installed `windsock passwd`
/// that the service's own identity (user windsock, CAP_NET_BIND_SERVICE alone, no new privileges, as the
/// unit sets them) reads while serving curl on port 443 in a network namespace of the test's own, the
/// bash completion completing verbs, the man pages, and `dpkg --purge` taking it all away again.
/// </summary>
[Trait("Needs", "root")]
[SupportedOSPlatform("linux")]
public sealed class DebianPackageTests
{
    private static readonly TimeSpan Build = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan Step = TimeSpan.FromMinutes(2);

    private const string ProjectMaintainer = "Windsock contributors <maintainers@windsock.invalid>";

    [Theory]
    [InlineData("", "", "", ProjectMaintainer)]
    [InlineData("Site Ops <ops@example.org>", "ann@example.org", "Ann", "Site Ops <ops@example.org>")]
    [InlineData("", "ann@example.org", "Ann Admin", "Ann Admin <ann@example.org>")]
    [InlineData("", "Bob <bob@example.org>", "", "Bob <bob@example.org>")]
    [InlineData("", "ann@example.org", "", "Windsock contributors <ann@example.org>")]
    public async Task The_maintainer_is_deb_maintainer_else_debemail_else_the_project_value(string debMaintainer, string debEmail, string debFullName, string expected)
    {
        var result = await ProcessRunner.RunAsync(Path.Combine(Tools.SourceRoot, "packaging", "deb", "build"), ["--print-maintainer"],
            environment: new Dictionary<string, string> { ["DEB_MAINTAINER"] = debMaintainer, ["DEBEMAIL"] = debEmail, ["DEBFULLNAME"] = debFullName });

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Equal(expected + "\n", result.StdoutText);
    }

    [Fact]
    public async Task A_maintainer_that_is_not_name_and_address_stops_the_build()
    {
        var result = await ProcessRunner.RunAsync(Path.Combine(Tools.SourceRoot, "packaging", "deb", "build"), ["--print-maintainer"],
            environment: new Dictionary<string, string> { ["DEB_MAINTAINER"] = "ops@example.org" });

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("the Maintainer \"ops@example.org\" (from DEB_MAINTAINER) is not \"Name <address>\"", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_package_builds_passes_lintian_installs_checks_its_config_serves_as_its_user_completes_and_purges()
    {
        Assert.SkipUnless(UnixAccounts.EffectiveUserId == 0 && File.Exists("/usr/bin/dpkg-deb"), "installs a package: needs root and dpkg");
        using var dir = new TempDirectory();
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0b111_101_101);

        var build = await ProcessRunner.RunAsync(Path.Combine(Tools.SourceRoot, "packaging", "deb", "build"), ["--output", dir.Path], timeout: Build);
        Assert.True(build.ExitCode == 0, build.Describe());
        string deb = build.StdoutText.Trim().Split('\n')[^1];
        Assert.True(File.Exists(deb), build.Describe());
        TestContext.Current.SendDiagnosticMessage(build.Stderr.Split('\n').FirstOrDefault(l => l.Contains("NativeAOT publish took", StringComparison.Ordinal)) ?? "");

        var lintian = await Run("/usr/bin/lintian", "--fail-on", "error", deb);
        Assert.True(lintian.ExitCode == 0 && !lintian.StdoutText.Contains("E: ", StringComparison.Ordinal), lintian.Describe());

        Assert.Equal(ProjectMaintainer + "\n", (await Run("/usr/bin/dpkg-deb", "--field", deb, "Maintainer")).StdoutText);

        var contents = await Run("/usr/bin/dpkg-deb", "--contents", deb);
        foreach (string path in new[]
        {
            "./usr/bin/windsock -> ../lib/windsock/windsock", "./usr/lib/windsock/libwindsock-preload.so", "./etc/windsock/windsock.toml",
            "./usr/lib/systemd/system/windsock.service", "./usr/share/bash-completion/completions/windsock", "./usr/share/man/man1/windsock.1.gz",
            "./usr/share/man/man5/windsock.toml.5.gz", "./usr/share/doc/windsock/copyright",
        })
        {
            Assert.Contains(path, contents.StdoutText, StringComparison.Ordinal);
        }

        try
        {
            var install = await Run("/usr/bin/dpkg", "-i", deb);
            Assert.True(install.ExitCode == 0, install.Describe());
            await Installed(dir.Path);
        }
        finally
        {
            File.Delete("/etc/windsock/users");
            var purge = await Run("/usr/bin/dpkg", "--purge", "windsock");
            Assert.True(purge.ExitCode == 0, purge.Describe());
        }

        Assert.False(File.Exists("/usr/bin/windsock"));
        Assert.False(File.Exists("/etc/windsock/windsock.toml"));
        Assert.False(Directory.Exists("/usr/lib/windsock"));
    }

    private static async Task Installed(string dir)
    {
        var check = await Run("/usr/bin/windsock", "check", "--config", "/etc/windsock/windsock.toml");
        Assert.True(check.ExitCode == 0 && check.StdoutText.Contains("configuration OK", StringComparison.Ordinal) && check.Stderr.Length == 0, check.Describe());
        Assert.Equal("root", (await Run("/usr/bin/stat", "-c", "%U", "/etc/windsock/windsock.toml")).StdoutText.Trim());
        Assert.NotNull(UnixAccounts.FindUser("windsock"));
        Assert.Contains("/etc/windsock/windsock.toml", await File.ReadAllTextAsync("/var/lib/dpkg/info/windsock.conffiles"), StringComparison.Ordinal);

        var verify = await Run("/usr/bin/systemd-analyze", "verify", "/usr/lib/systemd/system/windsock.service");
        Assert.True(verify.ExitCode == 0 && verify.Stderr.Trim().Length == 0, verify.Describe());

        // The users file the installed passwd makes as root: readable by the service's group, nobody else.
        var passwd = await ProcessRunner.RunAsync("/usr/bin/windsock", ["passwd", "/etc/windsock/users", "alice", "--password-stdin"], stdin: Encoding.UTF8.GetBytes("alice-pass\n"), timeout: Step);
        Assert.True(passwd.ExitCode == 0, passwd.Describe());
        Assert.Contains("created /etc/windsock/users (root:windsock, mode 0640)", passwd.StdoutText, StringComparison.Ordinal);

        // The unit's identity, without systemd: user windsock, CAP_NET_BIND_SERVICE as the only capability, no new privileges.
        string config = Path.Combine(dir, "windsock.toml");
        await File.WriteAllTextAsync(config, "[server]\nlisten = [\"127.0.0.1:443\"]\n\n[auth]\nusers_file = \"/etc/windsock/users\"\n");
        File.SetUnixFileMode(config, (UnixFileMode)0b110_100_100);
        string site = Directory.CreateDirectory(Path.Combine(dir, "site")).FullName;
        await File.WriteAllTextAsync(Path.Combine(site, "index.html"), "served through port 443\n");
        string script = $$"""
            set -eu
            ip link set lo up
            cd {{site}}
            python3 -m http.server 8080 --bind 127.0.0.1 >/dev/null 2>&1 &
            web=$!
            setpriv --reuid windsock --regid windsock --init-groups --no-new-privs \
              --inh-caps -all,+net_bind_service --ambient-caps -all,+net_bind_service --bounding-set -all,+net_bind_service \
              /usr/bin/windsock serve --config {{config}} >{{dir}}/out 2>{{dir}}/err &
            server=$!
            timeout 20 sh -c 'until grep -q "listening on 127.0.0.1:443" {{dir}}/out; do sleep 0.05; done' || { cat {{dir}}/err; exit 3; }
            timeout 20 sh -c 'until python3 -c "import socket; socket.create_connection((\"127.0.0.1\", 8080), 1)" 2>/dev/null; do sleep 0.05; done'
            grep -E '^(Uid|CapEff):' /proc/$server/status
            curl -sS --max-time 20 -x socks5h://alice:alice-pass@127.0.0.1:443 http://127.0.0.1:8080/index.html
            kill $server $web
            wait $server
            """;
        var serve = await Run("/usr/bin/unshare", "--net", "bash", "-c", script);
        Assert.True(serve.ExitCode == 0, serve.Describe());
        var windsockUid = UnixAccounts.FindUser("windsock")!.Value.UserId;
        Assert.Matches($@"Uid:\s+{windsockUid}\s+{windsockUid}\s+{windsockUid}\s+{windsockUid}\n", serve.StdoutText);
        Assert.Contains("CapEff:\t0000000000000400", serve.StdoutText, StringComparison.Ordinal);
        Assert.Contains("served through port 443", serve.StdoutText, StringComparison.Ordinal);

        // Completion of the installed script by the installed program.
        Assert.Equal(["check"], await Complete("windsock ch"));
        Assert.Equal(["bench", "check", "connect", "forward", "passwd", "ping", "resolve", "run", "serve", "status", "traceroute"], (await Complete("windsock ")).Where(w => !w.StartsWith('-')).ToArray());
        Assert.Equal(["json", "text"], await Complete("windsock serve --log-format "));
        Assert.Equal(["--config"], await Complete("windsock serve --con"));

        var man = await Run("/usr/bin/man", "-P", "cat", "-l", "/usr/share/man/man5/windsock.toml.5.gz");
        Assert.True(man.ExitCode == 0 && man.StdoutText.Contains("allowed_clients", StringComparison.Ordinal), man.Describe());
        var man1 = await Run("/usr/bin/man", "-P", "cat", "-l", "/usr/share/man/man1/windsock.1.gz");
        Assert.True(man1.ExitCode == 0 && man1.StdoutText.Contains("windsock passwd", StringComparison.Ordinal), man1.Describe());
    }

    /// <summary>The words bash would offer for <paramref name="line"/> (cursor at its end), from the installed script.</summary>
    private static async Task<string[]> Complete(string line)
    {
        string script = """
            source /usr/share/bash-completion/completions/windsock
            read -ra COMP_WORDS <<< "$1"
            [[ $1 == *' ' ]] && COMP_WORDS+=('')
            COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) COMP_LINE=$1 COMP_POINT=${#1}
            _windsock
            printf '%s\n' "${COMPREPLY[@]}"
            """;
        var result = await Run("/bin/bash", "-c", script, "complete", line);
        Assert.True(result.ExitCode == 0, result.Describe());
        return result.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private static Task<ProcessResult> Run(string file, params string[] args) =>
        ProcessRunner.RunAsync(file, args, timeout: Step, environment: new Dictionary<string, string> { ["DEBIAN_FRONTEND"] = "noninteractive" });
}
