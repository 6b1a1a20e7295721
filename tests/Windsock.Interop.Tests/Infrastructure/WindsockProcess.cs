using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Xunit;

namespace Windsock.Interop.Tests.Infrastructure;

/// <summary>
/// A real `windsock serve` process. Starts it, waits (bounded) for one "listening on" line per
/// --listen, records every stdout and stderr line, lets tests await a line, and stops it with
/// SIGTERM (then SIGKILL) on dispose. Assertion messages carry <see cref="Transcript"/>.
/// </summary>
public sealed partial class WindsockProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _command;
    private readonly object _gate = new();
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];
    private readonly List<string> _transcript = [];
    private readonly List<Waiter> _waiters = [];
    private readonly List<Waiter> _stderrWaiters = [];
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _disposed;

    private WindsockProcess(ProcessStartInfo psi)
    {
        _command = ProcessRunner.Render(psi);
        _process = new Process { StartInfo = psi };
        _process.OutputDataReceived += (_, e) => OnLine(e.Data, isStdout: true);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data, isStdout: false);
    }

    /// <summary>The listeners in the order their lines appeared.</summary>
    public IReadOnlyList<IPEndPoint> Endpoints { get; private set; } = [];

    public IPEndPoint IPv4 => Endpoints.FirstOrDefault(e => e.AddressFamily == AddressFamily.InterNetwork)
        ?? throw new InvalidOperationException("no IPv4 listener\n" + Transcript());

    public IPEndPoint IPv6 => Endpoints.FirstOrDefault(e => e.AddressFamily == AddressFamily.InterNetworkV6)
        ?? throw new InvalidOperationException("no IPv6 listener\n" + Transcript());

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>A snapshot of stdout lines so far.</summary>
    public IReadOnlyList<string> StdoutLines
    {
        get
        {
            lock (_gate)
            {
                return [.. _stdout];
            }
        }
    }

    /// <summary>A snapshot of stderr lines (the diagnostic log) so far.</summary>
    public IReadOnlyList<string> StderrLines
    {
        get
        {
            lock (_gate)
            {
                return [.. _stderr];
            }
        }
    }

    /// <summary>`windsock serve ARGS`.</summary>
    public static Task<WindsockProcess> StartAsync(params string[] serveArgs) =>
        StartAsync(serveArgs, hostsFile: null);

    /// <summary>
    /// `windsock serve ARGS`, optionally in a private mount namespace whose /etc/hosts is
    /// <paramref name="hostsFile"/>, so names resolve for the server and for nobody else.
    /// </summary>
    public static Task<WindsockProcess> StartAsync(IReadOnlyList<string> serveArgs, string? hostsFile) =>
        StartAsync(serveArgs, hostsFile, environment: null);

    /// <summary>
    /// `windsock serve ARGS` with extra environment variables: the GSSAPI library reads its configuration
    /// (KRB5_CONFIG) from the native environment, which only a child process gets cleanly.
    /// </summary>
    public static Task<WindsockProcess> StartAsync(IReadOnlyList<string> serveArgs, string? hostsFile, IReadOnlyDictionary<string, string>? environment) =>
        StartAsync(serveArgs, hostsFile, environment, networkNamespace: null);

    /// <summary>As above, inside the network namespace <paramref name="networkNamespace"/> (made by the test with `ip netns add`).</summary>
    public static Task<WindsockProcess> StartAsync(IReadOnlyList<string> serveArgs, string? hostsFile, IReadOnlyDictionary<string, string>? environment, string? networkNamespace) =>
        StartAsync(serveArgs, hostsFile, environment, networkNamespace, resolvConf: null);

    /// <summary>
    /// As above, with <paramref name="resolvConf"/> as the server's /etc/resolv.conf (the same private
    /// mount namespace: its system resolver then asks the test's own DNS responder, nobody else), and
    /// optionally run through <paramref name="wrapper"/> (e.g. setpriv dropping a capability) inside the namespace.
    /// </summary>
    public static async Task<WindsockProcess> StartAsync(
        IReadOnlyList<string> serveArgs, string? hostsFile, IReadOnlyDictionary<string, string>? environment, string? networkNamespace, string? resolvConf, IReadOnlyList<string>? wrapper = null)
    {
        string[] windsock = [Tools.Dotnet, Tools.WindsockDll, "serve", .. serveArgs];
        var binds = new List<(string Source, string Target)>();
        if (hostsFile is not null)
        {
            binds.Add((hostsFile, "/etc/hosts"));
        }

        if (resolvConf is not null)
        {
            binds.Add((resolvConf, "/etc/resolv.conf"));
        }

        // sh -c 'mount --bind "$1" /etc/hosts && ... && shift N && exec "$@"' sh SOURCES... COMMAND...
        string script = string.Join(" && ", binds.Select((b, i) => $"mount --bind \"${i + 1}\" {b.Target}")) + $" && shift {binds.Count} && exec \"$@\"";
        string[] command = binds.Count == 0
            ? windsock
            : [Tools.Unshare, "--mount", "sh", "-c", script, "sh", .. binds.Select(b => b.Source), .. windsock];
        if (wrapper is not null)
        {
            command = [.. wrapper, .. command];
        }

        if (networkNamespace is not null)
        {
            command = [Tools.Ip, "netns", "exec", networkNamespace, .. command];
        }

        var psi = ProcessRunner.StartInfo(command[0], command[1..]);
        psi.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[name] = value;
        }

        var server = new WindsockProcess(psi);
        server.Start();
        var expected = Math.Max(1, serveArgs.Count(a => a == "--listen"));
        try
        {
            await server.WaitUntilAsync(
                lines => lines.Count(l => ListeningLine().IsMatch(l)) >= expected,
                Timeouts.Start,
                $"{expected} 'listening on' line(s)");
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        server.Endpoints = server.StdoutLines
            .Select(l => ListeningLine().Match(l))
            .Where(m => m.Success)
            .Select(m => new IPEndPoint(IPAddress.Parse(m.Groups["host"].Value), int.Parse(m.Groups["port"].Value, CultureInfo.InvariantCulture)))
            .ToList();
        return server;
    }

    private void Start()
    {
        if (!File.Exists(Tools.WindsockDll))
        {
            throw new FileNotFoundException("windsock.dll is not next to the tests", Tools.WindsockDll);
        }
        _process.Start();
        _process.StandardInput.Close();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Waits (bounded) for a stdout line matching <paramref name="predicate"/> and returns the first one.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> predicate, string description, TimeSpan? timeout = null)
    {
        await WaitUntilAsync(lines => lines.Any(predicate), timeout ?? Timeouts.LogLine, description);
        return StdoutLines.First(predicate);
    }

    /// <summary>Waits (bounded) until the stdout lines so far satisfy <paramref name="condition"/>.</summary>
    public Task WaitUntilAsync(Func<IReadOnlyList<string>, bool> condition, TimeSpan timeout, string description) =>
        WaitUntilAsync(_stdout, _waiters, _stdoutClosed.Task, "stdout", condition, timeout, description);

    /// <summary>
    /// Waits (bounded) for a standard error line (the diagnostic log, where reasons a request log
    /// line leaves out appear) matching <paramref name="predicate"/> and returns the first one.
    /// </summary>
    public async Task<string> WaitForErrorLineAsync(Func<string, bool> predicate, string description, TimeSpan? timeout = null)
    {
        await WaitUntilAsync(_stderr, _stderrWaiters, _stderrClosed.Task, "stderr", lines => lines.Any(predicate), timeout ?? Timeouts.LogLine, description);
        lock (_gate)
        {
            return _stderr.First(predicate);
        }
    }

    private async Task WaitUntilAsync(
        List<string> lines, List<Waiter> waiters, Task closed, string stream, Func<IReadOnlyList<string>, bool> condition, TimeSpan timeout, string description)
    {
        var waiter = new Waiter(condition);
        lock (_gate)
        {
            if (condition(lines))
            {
                return;
            }
            if (closed.IsCompleted)
            {
                throw new InvalidOperationException($"windsock's {stream} closed before {description}\n{TranscriptLocked()}");
            }
            waiters.Add(waiter);
        }
        try
        {
            await waiter.Done.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"no {description} within {timeout.TotalSeconds:0}s\n{Transcript()}");
        }
        finally
        {
            lock (_gate)
            {
                waiters.Remove(waiter);
            }
        }
    }

    private void OnLine(string? line, bool isStdout)
    {
        lock (_gate)
        {
            var (lines, waiters) = isStdout ? (_stdout, _waiters) : (_stderr, _stderrWaiters);
            if (line is null)
            {
                (isStdout ? _stdoutClosed : _stderrClosed).TrySetResult();
                foreach (var w in waiters)
                {
                    w.Done.TrySetException(new InvalidOperationException(
                        $"windsock's {(isStdout ? "stdout" : "stderr")} closed while waiting\n{TranscriptLocked()}"));
                }
                return;
            }
            _transcript.Add((isStdout ? "out| " : "err| ") + line);
            lines.Add(line);
            foreach (var w in waiters)
            {
                if (w.Condition(lines))
                {
                    w.Done.TrySetResult();
                }
            }
        }
    }

    /// <summary>Sends SIGTERM, as systemd or a terminal would.</summary>
    public void Terminate()
    {
        // libc kill(2) directly: a bare Debian image has no /bin/kill (procps).
        if (Kill(Pid, SigTerm) != 0 && !_process.HasExited)
        {
            throw new InvalidOperationException($"kill({Pid}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Sends SIGHUP: reload the configuration.</summary>
    public void Hangup()
    {
        if (Kill(Pid, SigHup) != 0)
        {
            throw new InvalidOperationException($"kill({Pid}, SIGHUP) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Sends SIGUSR1: reopen the log file (logrotate's postrotate).</summary>
    public void ReopenLogs()
    {
        if (Kill(Pid, SigUsr1) != 0)
        {
            throw new InvalidOperationException($"kill({Pid}, SIGUSR1) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    private const int SigUsr1 = 10;
    internal const int SigTerm = 15;
    private const int SigHup = 1;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);

    /// <summary>Waits (bounded) for the process to exit and both its streams to drain; returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
            await Task.WhenAll(_stdoutClosed.Task, _stderrClosed.Task).WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"windsock did not exit within {timeout.TotalSeconds:0}s\n{Transcript()}");
        }
        return _process.ExitCode;
    }

    /// <summary>Everything the process printed so far, with the command line that started it.</summary>
    public string Transcript()
    {
        lock (_gate)
        {
            return TranscriptLocked();
        }
    }

    private string TranscriptLocked()
    {
        var sb = new StringBuilder();
        sb.Append("--- windsock: ").Append(_command).Append('\n');
        const int Shown = 200;
        if (_transcript.Count > Shown)
        {
            sb.Append("(").Append(_transcript.Count - Shown).Append(" earlier lines)\n");
        }
        foreach (var line in _transcript.Skip(Math.Max(0, _transcript.Count - Shown)))
        {
            sb.Append(line).Append('\n');
        }
        if (_process.HasExited)
        {
            sb.Append("(exited with ").Append(_process.ExitCode).Append(")\n");
        }
        return sb.Append("---").ToString();
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        try
        {
            if (!_process.HasExited)
            {
                Terminate();
                try
                {
                    await _process.WaitForExitAsync().WaitAsync(Timeouts.Stop);
                }
                catch (TimeoutException)
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
                }
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }
        finally
        {
            TestContext.Current.TestOutputHelper?.WriteLine(Transcript());
            _process.Dispose();
        }
    }

    [GeneratedRegex(@"listening on (?:\[(?<host>[0-9A-Fa-f:.]+)\]|(?<host>\d+\.\d+\.\d+\.\d+)):(?<port>\d+)")]
    private static partial Regex ListeningLine();

    private sealed class Waiter(Func<IReadOnlyList<string>, bool> condition)
    {
        public Func<IReadOnlyList<string>, bool> Condition { get; } = condition;
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
