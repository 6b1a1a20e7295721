using System.Diagnostics;
using System.Security.Cryptography;
using Xunit;

namespace Windsock.Testing;

/// <summary>
/// A throwaway system account for testing the PAM back end against the host's real PAM stack:
/// useradd (no home, no login shell), chpasswd, and userdel on dispose, also when the test failed.
/// Needs root; <see cref="SkipUnlessPossible"/> skips with the reason otherwise.
/// </summary>
public sealed class SystemAccount : IAsyncDisposable
{
    /// <summary>
    /// A service name with no file in /etc/pam.d: PAM uses /etc/pam.d/other, which on Debian is
    /// the system's common-* stack (pam_unix for auth and account). No test writes into /etc/pam.d.
    /// </summary>
    public const string ServiceWithoutFile = "windsock-tests-no-pam-file";

    private const string UserAdd = "/usr/sbin/useradd";
    private const string UserDel = "/usr/sbin/userdel";
    private const string UserMod = "/usr/sbin/usermod";
    private const string ChPasswd = "/usr/sbin/chpasswd";
    private const string Chage = "/usr/bin/chage";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    private SystemAccount(string name, string password)
    {
        Name = name;
        Password = password;
    }

    public string Name { get; }

    public string Password { get; }

    /// <summary>"NAME:PASSWORD", as curl's --proxy-user takes it.</summary>
    public string ProxyUser => $"{Name}:{Password}";

    /// <summary>Null when accounts can be made and PAM is Debian's; otherwise why the PAM tests cannot run here.</summary>
    public static string? SkipReason
    {
        get
        {
            if (!Environment.IsPrivilegedProcess)
            {
                return "needs root: tests make throwaway system accounts (useradd) and pam_unix reads /etc/shadow";
            }

            if (!File.Exists(UserAdd) || !File.Exists(ChPasswd) || !File.Exists(Chage))
            {
                return "needs Debian's passwd package (useradd, chpasswd, chage; test.sh installs it)";
            }

            if (!File.Exists("/etc/pam.d/common-auth") || !File.ReadAllText("/etc/pam.d/common-auth").Contains("pam_unix.so", StringComparison.Ordinal))
            {
                return "needs Debian's PAM stack: /etc/pam.d/other including common-auth with pam_unix (libpam-modules, libpam-runtime)";
            }

            return File.Exists(Path.Combine("/etc/pam.d", ServiceWithoutFile))
                ? $"/etc/pam.d/{ServiceWithoutFile} exists, so these tests would not get Debian's 'other' stack"
                : null;
        }
    }

    public static void SkipUnlessPossible()
    {
        if (SkipReason is { } reason)
        {
            Assert.Skip(reason);
        }
    }

    public static async Task<SystemAccount> CreateAsync()
    {
        string name = $"wsk-pam-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
        string password = $"Pw-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}-1929";
        await RunAsync(UserAdd, ["--no-create-home", "--shell", "/usr/sbin/nologin", "--comment", "windsock PAM test", name]);
        var account = new SystemAccount(name, password);
        try
        {
            await RunAsync(ChPasswd, [], stdin: $"{name}:{password}\n");
        }
        catch
        {
            await account.DisposeAsync();
            throw;
        }

        return account;
    }

    /// <summary>usermod --lock: a '!' before the password hash, so no password matches.</summary>
    public Task LockAsync() => RunAsync(UserMod, ["--lock", Name]);

    /// <summary>chage --expiredate 0: the account expired on 1970-01-01; pam_acct_mgmt refuses it.</summary>
    public Task ExpireAsync() => RunAsync(Chage, ["--expiredate", "0", Name]);

    public async ValueTask DisposeAsync() => await RunAsync(UserDel, [Name]);

    /// <summary>
    /// Runs a shadow tool, bounded. They refuse at once ("cannot lock /etc/passwd") while another
    /// process holds the lock, and other test processes make accounts too: a few bounded retries.
    /// </summary>
    private static async Task RunAsync(string program, string[] arguments, string? stdin = null)
    {
        const int Attempts = 20;
        for (int attempt = 1; ; attempt++)
        {
            (int exitCode, string stderr) = await RunOnceAsync(program, arguments, stdin);
            if (exitCode == 0)
            {
                return;
            }

            if (attempt == Attempts || !stderr.Contains("lock", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {exitCode}: {stderr}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt));
        }
    }

    private static async Task<(int ExitCode, string Stderr)> RunOnceAsync(string program, string[] arguments, string? stdin)
    {
        using var process = Process.Start(ChildProcess.StartInfo(program, arguments)) ?? throw new InvalidOperationException($"could not start {program}");
        using var timeout = new CancellationTokenSource(CommandTimeout);
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin.AsMemory(), timeout.Token);
        }

        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        Task<string> stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            await Task.WhenAll(stdout, stderr);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish within {CommandTimeout.TotalSeconds:0}s");
        }

        return (process.ExitCode, await stderr);
    }
}
