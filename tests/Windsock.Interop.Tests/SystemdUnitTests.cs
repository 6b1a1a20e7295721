using System.Diagnostics;
using System.Globalization;
using System.Runtime.Versioning;
using Windsock.Interop.Tests.Infrastructure;
using Windsock.Server.Accounts;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// packaging/systemd/windsock.service as shipped, under a real systemd: Debian's systemd booted as PID 1 of a
/// systemd-nspawn container whose tree the test makes (its own /etc with the windsock user, the host's /usr read
/// only with this build's windsock as /usr/bin/windsock on an overlay). The container shares the host's network,
/// so the server listens on a free port of the host's loopback. The unit must come up through Type=notify
/// (systemd marks it active only after READY=1), read the users file `windsock passwd` wrote in the container
/// (root:windsock, 0640) as user windsock with every hardening option on, serve curl, and stop cleanly when the
/// container powers off. Nothing of the host's /etc is touched.
/// </summary>
[Trait("Needs", "root")]
[SupportedOSPlatform("linux")]
public sealed class SystemdUnitTests(LoopbackTargets targets)
{
    private const string Nspawn = "/usr/bin/systemd-nspawn";
    private const string Systemd = "/lib/systemd/systemd";
    private const string Password = "unit-Horse-4711";
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task The_unit_starts_through_notify_reads_the_passwd_users_file_serves_curl_and_stops()
    {
        Assert.SkipUnless(UnixAccounts.EffectiveUserId == 0, "boots a container: needs root");
        Assert.SkipUnless(File.Exists(Nspawn) && File.Exists(Systemd), $"needs {Systemd} and {Nspawn} (test.sh installs Debian's systemd-container)");
        using var dir = new TempDirectory();
        string root = Path.Combine(dir.Path, "root");
        string probe = Path.Combine(dir.Path, "probe");
        string upper = Path.Combine(dir.Path, "usr-upper");
        ushort port = FreePort.Closed();
        MakeTree(root, upper, probe, port);
        string build = AppContext.BaseDirectory; // windsock (the apphost), windsock.dll and the rest of this build
        string[] mounts =
        [
            "-q", "-D", root, "--register=no", "--keep-unit", $"--bind-ro={build}:/opt/windsock",
            $"--overlay-ro=/usr:{upper}:/usr", $"--bind={probe}:/probe",
        ];

        // windsock passwd inside the container, as root there: the file it makes is root:windsock, mode 0640.
        var passwd = await ProcessRunner.RunAsync(Nspawn, [.. mounts, "--pipe", "/usr/bin/windsock", "passwd", "/etc/windsock/users", "alice", "--password-stdin"],
            stdin: System.Text.Encoding.UTF8.GetBytes(Password + "\n"), timeout: TimeSpan.FromSeconds(60));
        Assert.True(passwd.ExitCode == 0, passwd.Describe());
        Assert.Contains("(root:windsock, mode 0640)", passwd.StdoutText, StringComparison.Ordinal);

        await using var container = BackgroundCommand.Start(Nspawn, [.. mounts, "--boot", "--console=pipe"]);
        string state = await WaitForProbeAsync(Path.Combine(probe, "state"), container);
        Assert.Contains("Type=notify", state, StringComparison.Ordinal);
        Assert.Contains("ActiveState=active", state, StringComparison.Ordinal);
        Assert.Contains("SubState=running", state, StringComparison.Ordinal);

        var proxy = $"127.0.0.1:{port}";
        var curl = await Clients.CurlAsync(targets.Http.Url("127.0.0.1"), "--socks5", proxy, "--proxy-user", $"alice:{Password}");
        Assert.True(curl.ExitCode == 0 && Clients.Sha256(curl.Stdout) == targets.Http.BodySha256, curl.Describe() + "\n" + container.Transcript());
        var refused = await Clients.CurlAsync(targets.Http.Url("127.0.0.1"), "--socks5", proxy, "--proxy-user", "alice:wrong");
        Assert.NotEqual(0, refused.ExitCode);

        // SIGTERM to systemd-nspawn powers the container off: systemd stops the unit as systemctl stop does.
        container.Terminate();
        Assert.Equal(0, await container.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var journal = await ProcessRunner.RunAsync("/usr/bin/journalctl", ["--directory", Path.Combine(root, "var", "log", "journal"), "--no-pager", "-o", "cat"], timeout: TimeSpan.FromSeconds(30));
        string log = journal.StdoutText;
        Assert.Contains($"listening on 127.0.0.1:{port}", log, StringComparison.Ordinal);
        Assert.Contains("Started windsock.service", log, StringComparison.Ordinal);
        Assert.Contains("auth=username auth_by=file user=alice", log, StringComparison.Ordinal);
        Assert.Contains("file: wrong password", log, StringComparison.Ordinal);
        Assert.Contains("windsock.service: Deactivated successfully", log, StringComparison.Ordinal);
        Assert.DoesNotContain("windsock.service: Failed", log, StringComparison.Ordinal);
    }

    /// <summary>
    /// The container's tree: its own /etc (accounts, the unit, a configuration requiring the users file, a probe
    /// unit that records the unit's state once its start job is done), and an overlay upper layer for /usr that
    /// adds /usr/bin/windsock.
    /// </summary>
    private static void MakeTree(string root, string upper, string probe, ushort port)
    {
        foreach (string folder in (string[])["etc/windsock", "etc/systemd/system/multi-user.target.wants", "usr", "var/log/journal", "opt/windsock", "tmp", "run", "root", "proc", "sys", "dev", "probe"])
        {
            Directory.CreateDirectory(Path.Combine(root, folder));
        }

        Directory.CreateDirectory(Path.Combine(upper, "bin"));
        Directory.CreateDirectory(probe);
        foreach (string link in (string[])["bin", "lib", "lib64", "sbin"])
        {
            File.CreateSymbolicLink(Path.Combine(root, link), $"usr/{link}");
        }

        File.CreateSymbolicLink(Path.Combine(upper, "bin", "windsock"), "/opt/windsock/windsock");
        string etc = Path.Combine(root, "etc");
        File.WriteAllText(Path.Combine(etc, "passwd"), "root:x:0:0:root:/root:/bin/sh\nwindsock:x:990:990:Windsock SOCKS server:/nonexistent:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
        File.WriteAllText(Path.Combine(etc, "group"), "root:x:0:\nwindsock:x:990:\nnogroup:x:65534:\n");
        File.WriteAllText(Path.Combine(etc, "hosts"), "127.0.0.1 localhost\n");
        File.WriteAllText(Path.Combine(etc, "machine-id"), "");
        // nspawn looks for os-release before it mounts /usr; the loader and the name service need theirs.
        foreach (var (from, to) in new[] { ("/usr/lib/os-release", "os-release"), ("/etc/ld.so.cache", "ld.so.cache"), ("/etc/nsswitch.conf", "nsswitch.conf") })
        {
            File.Copy(from, Path.Combine(etc, to));
        }

        string units = Path.Combine(etc, "systemd", "system");
        File.CreateSymbolicLink(Path.Combine(units, "default.target"), "/usr/lib/systemd/system/multi-user.target");
        File.Copy(Path.Combine(Tools.SourceRoot, "packaging", "systemd", "windsock.service"), Path.Combine(units, "windsock.service"));
        File.WriteAllText(Path.Combine(units, "probe.service"), """
            [Unit]
            Description=Records windsock.service's state once its start job is done
            After=windsock.service
            Requires=windsock.service

            [Service]
            Type=oneshot
            ExecStart=/bin/sh -c 'systemctl show windsock -p Type -p ActiveState -p SubState -p MainPID > /probe/state.tmp && mv /probe/state.tmp /probe/state'
            """);
        foreach (string unit in (string[])["windsock.service", "probe.service"])
        {
            File.CreateSymbolicLink(Path.Combine(units, "multi-user.target.wants", unit), $"../{unit}");
        }

        File.WriteAllText(Path.Combine(etc, "windsock", "windsock.toml"), string.Create(CultureInfo.InvariantCulture, $"""
            [server]
            listen = ["127.0.0.1:{port}"]

            [auth]
            users_file = "/etc/windsock/users"
            """));
    }

    /// <summary>The probe's file, once the boot got that far (bounded); fails with the console's transcript otherwise.</summary>
    private static async Task<string> WaitForProbeAsync(string path, BackgroundCommand container)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Boot)
        {
            if (File.Exists(path))
            {
                return await File.ReadAllTextAsync(path);
            }

            await Task.Delay(200); // the container writes one file; a watcher on a bind mount would need the same fallback
        }

        Assert.Fail($"windsock.service was not started within {Boot.TotalSeconds:0}s\n{container.Transcript()}");
        return "";
    }
}
