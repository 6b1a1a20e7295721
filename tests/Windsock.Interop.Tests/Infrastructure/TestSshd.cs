using System.Globalization;
using Xunit;

namespace Windsock.Interop.Tests.Infrastructure;

/// <summary>
/// A throwaway OpenSSH server for tests that carry ssh through the proxy: fresh host and user keys, a config
/// that takes only the user key, listening on 127.0.0.1 (of whichever network namespace it is started in).
/// </summary>
public sealed class TestSshd
{
    public const string Sshd = "/usr/sbin/sshd";
    public const string Ssh = "/usr/bin/ssh";
    public const string SshKeygen = "/usr/bin/ssh-keygen";

    private TestSshd(string config, string hostKey, string userKey)
    {
        Config = config;
        HostKey = hostKey;
        UserKey = userKey;
    }

    public string Config { get; }

    public string HostKey { get; }

    /// <summary>The private key ssh logs in with (<c>-i</c>).</summary>
    public string UserKey { get; }

    public static bool Installed => File.Exists(Sshd) && File.Exists(Ssh);

    /// <summary>Writes keys and sshd_config into <paramref name="folder"/>.</summary>
    public static async Task<TestSshd> PrepareAsync(string folder)
    {
        string hostKey = Path.Combine(folder, "host_key");
        string userKey = Path.Combine(folder, "user_key");
        foreach (string key in (string[])[hostKey, userKey])
        {
            ProcessResult made = await ProcessRunner.RunAsync(SshKeygen, ["-q", "-t", "ed25519", "-N", "", "-f", key]);
            Assert.True(made.ExitCode == 0, made.Describe());
        }

        File.Copy(userKey + ".pub", Path.Combine(folder, "authorized_keys"));
        string config = Path.Combine(folder, "sshd_config");
        await File.WriteAllTextAsync(config, $"""
            AuthorizedKeysFile {folder}/authorized_keys
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no
            PermitRootLogin prohibit-password
            StrictModes no
            PidFile none
            """, TestContext.Current.CancellationToken);

        // sshd refuses to start without its privilege separation directory.
        Directory.CreateDirectory("/run/sshd");
        return new TestSshd(config, hostKey, userKey);
    }

    /// <summary>Starts sshd on <paramref name="port"/> (behind <paramref name="prefix"/>, e.g. <c>ip netns exec NS</c>) and waits until it listens.</summary>
    public async Task<BackgroundCommand> StartAsync(int port, params string[] prefix)
    {
        string[] sshd = [Sshd, "-D", "-e", "-f", Config, "-p", port.ToString(CultureInfo.InvariantCulture), "-h", HostKey, "-o", "ListenAddress=127.0.0.1"];
        var started = prefix.Length == 0 ? BackgroundCommand.Start(Sshd, sshd[1..]) : BackgroundCommand.Start(prefix[0], [.. prefix[1..], .. sshd]);
        try
        {
            await started.WaitForLineAsync(l => l.Contains("Server listening on 127.0.0.1", StringComparison.Ordinal), "sshd 'Server listening' line");
            return started;
        }
        catch
        {
            await started.DisposeAsync();
            throw;
        }
    }
}
