using System.Diagnostics;
using System.Net;
using System.Text;

namespace Windsock.Interop.Tests.Infrastructure;

/// <summary>
/// A long-running child (`windsock forward`, sshd): output collected, a bounded wait for a stdout
/// line, killed on dispose. For `windsock serve` use <see cref="WindsockProcess"/>.
/// </summary>
public sealed class BackgroundCommand : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Done)> _waiters = [];

    private BackgroundCommand(Process process) => _process = process;

    public static BackgroundCommand Start(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = ProcessRunner.StartInfo(file, args);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[name] = value;
        }
        var command = new BackgroundCommand(new Process { StartInfo = psi });
        command._process.OutputDataReceived += (_, e) => command.OnLine(e.Data, "out| ");
        command._process.ErrorDataReceived += (_, e) => command.OnLine(e.Data, "err| ");
        command._process.Start();
        command._process.StandardInput.Close();
        command._process.BeginOutputReadLine();
        command._process.BeginErrorReadLine();
        command.Command = ProcessRunner.Render(psi);
        return command;
    }

    public string Command { get; private set; } = "";

    /// <summary>SIGTERM, as a service manager stops a process (Dispose kills outright).</summary>
    public void Terminate()
    {
        if (WindsockProcess.Kill(_process.Id, WindsockProcess.SigTerm) != 0 && !_process.HasExited)
        {
            throw new InvalidOperationException($"kill({_process.Id}, SIGTERM) failed");
        }
    }

    /// <summary>The exit code, waiting at most <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    public string Transcript()
    {
        lock (_output)
        {
            return $"--- {Command}\n{_output}---";
        }
    }

    /// <summary>
    /// The address a <c>windsock forward --listen HOST:0</c> child says it listens on ("listening on 127.0.0.1:40123 ..."),
    /// waiting for the line as <see cref="WaitForLineAsync"/> does.
    /// </summary>
    public async Task<IPEndPoint> ListeningEndPointAsync()
    {
        const string Prefix = "listening on ";
        string line = await WaitForLineAsync(l => l.StartsWith(Prefix, StringComparison.Ordinal), "the 'listening on' line");
        return IPEndPoint.Parse(line[Prefix.Length..].Split(' ')[0]);
    }

    /// <summary>The first line (stdout or stderr) that matches, waiting at most <see cref="Timeouts.Start"/>.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, string description)
    {
        var done = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_output)
        {
            var seen = _output.ToString().Split('\n').Select(l => l.Length > 5 ? l[5..] : l).FirstOrDefault(match);
            if (seen is not null)
            {
                return seen;
            }
            _waiters.Add((match, done));
        }
        try
        {
            return await done.Task.WaitAsync(Timeouts.Start);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"no {description} within {Timeouts.Start.TotalSeconds:0}s\n{Transcript()}");
        }
    }

    private void OnLine(string? line, string prefix)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.Append(prefix).Append(line).Append('\n');
            foreach (var (match, done) in _waiters)
            {
                if (match(line))
                {
                    done.TrySetResult(line);
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(Timeouts.Stop);
            }
        }
        catch (InvalidOperationException)
        {
        }
        finally
        {
            Xunit.TestContext.Current.TestOutputHelper?.WriteLine(Transcript());
            _process.Dispose();
        }
    }
}
