using System.Diagnostics;
using System.Text;

namespace Windsock.Interop.Tests.Infrastructure;

/// <summary>What a finished (or timed-out) child process left behind.</summary>
public sealed record ProcessResult(string Command, int ExitCode, bool TimedOut, byte[] Stdout, string Stderr)
{
    public string StdoutText => Encoding.UTF8.GetString(Stdout);

    public bool StderrMentions(string text) => Stderr.Contains(text, StringComparison.OrdinalIgnoreCase);

    public string Describe()
    {
        var shown = Stdout.Length <= 4096 ? StdoutText : $"<{Stdout.Length} bytes>";
        return $"$ {Command}\nexit: {(TimedOut ? "timed out" : ExitCode.ToString())}\nstdout: {shown}\nstderr: {Stderr}";
    }
}

/// <summary>Runs a client program to completion with a bounded timeout; never waits forever.</summary>
public static class ProcessRunner
{
    /// <summary>Proxy variables of the environment must not steer the clients under test.</summary>
    private static readonly string[] ProxyVariables =
        ["http_proxy", "https_proxy", "all_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"];

    public static ProcessStartInfo StartInfo(string file, IEnumerable<string> args)
    {
        var psi = ChildProcess.StartInfo(file, args);
        foreach (var name in ProxyVariables)
        {
            psi.Environment.Remove(name);
        }
        return psi;
    }

    public static string Render(ProcessStartInfo psi) =>
        string.Join(' ', psi.ArgumentList.Prepend(psi.FileName).Select(a => a.Length == 0 || a.Contains(' ') ? $"'{a}'" : a));

    public static async Task<ProcessResult> RunAsync(
        string file, IEnumerable<string> args, byte[]? stdin = null, TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = StartInfo(file, args);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[name] = value;
        }

        var command = Render(psi);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {command}");
        using var cts = new CancellationTokenSource(timeout ?? Timeouts.Client);

        var stdoutBuffer = new MemoryStream();
        var stdoutTask = process.StandardOutput.BaseStream.CopyToAsync(stdoutBuffer, cts.Token);
        var stderrTask = process.StandardError.ReadToEndAsync(cts.Token);
        var stdinTask = FeedAsync(process, stdin, cts.Token);

        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(cts.Token);
            await Task.WhenAll(stdoutTask, stderrTask, stdinTask).WaitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            timedOut = true;
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
            await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        }

        var stderr = stderrTask.IsCompletedSuccessfully ? stderrTask.Result : "<stderr not read>";
        return new ProcessResult(command, timedOut ? -1 : process.ExitCode, timedOut, stdoutBuffer.ToArray(), stderr);
    }

    private static async Task FeedAsync(Process process, byte[]? stdin, CancellationToken ct)
    {
        try
        {
            if (stdin is not null)
            {
                await process.StandardInput.BaseStream.WriteAsync(stdin, ct);
                await process.StandardInput.BaseStream.FlushAsync(ct);
            }
        }
        catch (IOException)
        {
            // The client closed its stdin early (it failed); its exit code tells the story.
        }
        finally
        {
            try
            {
                process.StandardInput.Close();
            }
            catch (IOException)
            {
            }
        }
    }
}
