using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Xunit;

namespace Windsock.Client.Tests.Support;

/// <summary>
/// OpenSSH's dynamic forwarding (<c>ssh -D</c>), an independent SOCKS4/4a/5 server from Debian: a
/// local <c>sshd</c> on a free loopback port with a temporary host key and an authorized key made
/// here by ssh-keygen, and <c>ssh -N -D 127.0.0.1:PORT</c> logged in to it. Started once per test
/// class; when the binaries are missing, <see cref="SkipUnlessAvailable"/> skips each test and names
/// the packages.
/// </summary>
public sealed class SshDynamicProxy : IAsyncLifetime
{
    public const string Sshd = "/usr/sbin/sshd";
    public const string Ssh = "/usr/bin/ssh";
    public const string SshKeygen = "/usr/bin/ssh-keygen";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly StringBuilder _transcript = new();
    private string? _directory;
    private Process? _sshd;
    private Process? _ssh;

    /// <summary>Where ssh -D listens: 127.0.0.1 and a free port.</summary>
    public IPEndPoint EndPoint { get; private set; } = new(IPAddress.Loopback, 0);

    public static bool Available => File.Exists(Sshd) && File.Exists(Ssh) && File.Exists(SshKeygen);

    public static void SkipUnlessAvailable() => Assert.SkipUnless(
        Available,
        $"{Sshd}, {Ssh} or {SshKeygen} is not installed; install the Debian packages 'openssh-server' and 'openssh-client' (test.sh does) to run the ssh -D tests.");

    /// <summary>What sshd and ssh printed, for failure messages.</summary>
    public string Transcript()
    {
        lock (_transcript)
        {
            return _transcript.ToString();
        }
    }

    public async ValueTask InitializeAsync()
    {
        if (!Available)
        {
            return;
        }

        using var cts = new CancellationTokenSource(StartTimeout);
        _directory = Directory.CreateTempSubdirectory("windsock-ssh-d-").FullName;
        string hostKey = Path.Combine(_directory, "host_key");
        string userKey = Path.Combine(_directory, "user_key");
        foreach (string key in (string[])[hostKey, userKey])
        {
            using var keygen = Start(SshKeygen, ["-q", "-t", "ed25519", "-N", "", "-C", "windsock-test", "-f", key], "ssh-keygen");
            await keygen.WaitForExitAsync(cts.Token);
            if (keygen.ExitCode != 0)
            {
                throw new InvalidOperationException($"ssh-keygen exited with {keygen.ExitCode}: {Transcript()}");
            }
        }

        File.Copy(userKey + ".pub", Path.Combine(_directory, "authorized_keys"));
        string config = Path.Combine(_directory, "sshd_config");
        await File.WriteAllTextAsync(config, $"""
            ListenAddress 127.0.0.1
            HostKey {hostKey}
            AuthorizedKeysFile {_directory}/authorized_keys
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no
            PermitRootLogin prohibit-password
            AllowTcpForwarding yes
            StrictModes no
            PidFile none
            """, cts.Token);

        // sshd refuses to start without its privilege separation directory.
        Directory.CreateDirectory("/run/sshd");
        int sshdPort = FreePort.Closed();
        _sshd = Start(Sshd, ["-D", "-e", "-f", config, "-p", Text(sshdPort)], "sshd");
        await WaitUntilAcceptingAsync(_sshd, new IPEndPoint(IPAddress.Loopback, sshdPort), "sshd", cts.Token);

        int socksPort = FreePort.Closed();
        _ssh = Start(Ssh,
        [
            "-N", "-D", $"127.0.0.1:{Text(socksPort)}", "-F", "/dev/null",
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "ExitOnForwardFailure=yes",
            "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-i", userKey, "-p", Text(sshdPort), $"{Environment.UserName}@127.0.0.1",
        ], "ssh");
        EndPoint = new IPEndPoint(IPAddress.Loopback, socksPort);
        await WaitUntilAcceptingAsync(_ssh, EndPoint, "ssh -D", cts.Token);
    }

    private Process Start(string path, IEnumerable<string> arguments, string label)
    {
        var process = new Process { StartInfo = ChildProcess.StartInfo(path, arguments) };
        DataReceivedEventHandler record = (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_transcript)
                {
                    _transcript.Append(label).Append(": ").Append(e.Data).Append('\n');
                }
            }
        };
        process.OutputDataReceived += record;
        process.ErrorDataReceived += record;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>A bounded retry until the port accepts; fails at once if the process exits.</summary>
    private async Task WaitUntilAcceptingAsync(Process process, IPEndPoint endPoint, string label, CancellationToken cancellationToken)
    {
        try
        {
            await ChildProcess.WaitUntilAcceptingAsync(process, endPoint, async () =>
            {
                await process.WaitForExitAsync(cancellationToken);
                return $"{label} exited with {process.ExitCode} before {endPoint} accepted:\n{Transcript()}";
            }, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{label} did not accept on {endPoint} within {StartTimeout.TotalSeconds} s:\n{Transcript()}");
        }
    }

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        // Only the processes this fixture started, by their handles.
        foreach (Process? process in (Process?[])[_ssh, _sshd])
        {
            if (process is null)
            {
                continue;
            }

            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await process.WaitForExitAsync(cts.Token);
            }

            process.Dispose();
        }

        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
