using System.Diagnostics;
using System.Threading.Channels;

namespace Windsock.Server.Hooks;

/// <summary>
/// Runs notify hooks (the old sockd's per-rule shell commands) off the session's path: a session
/// only queues a run and goes on. Runs are bounded every way an attacker could push them: a queue of
/// fixed size, a few at a time, a rate per command per minute (a flood of denied requests must not
/// become a flood of mails), and a time limit after which the process tree is killed.
/// </summary>
public sealed class HookRunner : IAsyncDisposable
{
    private const int QueueCapacity = 256;

    private readonly Channel<Pending> _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(QueueCapacity) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Dictionary<string, Queue<long>> _recentRuns = new(StringComparer.Ordinal);
    private readonly TimeSpan _timeout;
    private readonly int _maxPerMinute;
    private readonly TimeProvider _time;
    private readonly Task[] _workers;
    private readonly CancellationTokenSource _stop = new();

    public HookRunner(TimeSpan timeout, int maxPerMinute, int concurrency, TimeProvider time)
    {
        _timeout = timeout;
        _maxPerMinute = maxPerMinute;
        _time = time;
        _workers = [.. Enumerable.Range(0, concurrency).Select(_ => Task.Run(WorkAsync))];
    }

    /// <summary>Raised after each run ends or is refused (on a worker thread).</summary>
    public event Action<HookRunResult>? Completed;

    /// <summary>Queues a run; never blocks. False when rate-limited or the queue is full (and <see cref="Completed"/> says which).</summary>
    /// <param name="command">The parsed command.</param>
    /// <param name="values">What the %-codes stand for.</param>
    /// <param name="standardInput">Text given to the command on standard input (the request log line), or null.</param>
    public bool TryQueue(HookCommand command, HookValues values, string? standardInput)
    {
        ArgumentNullException.ThrowIfNull(command);
        int pid = Environment.ProcessId;
        var arguments = command.Arguments.Select((a, i) => i == 0 ? a : HookExpansion.Expand(a, values, pid)).ToArray();
        if (!TakeRateSlot(command.Text))
        {
            Completed?.Invoke(new HookRunResult(command, arguments, HookRunOutcome.RateLimited, null, $"more than {_maxPerMinute} runs in a minute"));
            return false;
        }

        if (!_queue.Writer.TryWrite(new Pending(command, arguments, standardInput)))
        {
            Completed?.Invoke(new HookRunResult(command, arguments, HookRunOutcome.QueueFull, null, $"{QueueCapacity} runs already waiting"));
            return false;
        }

        return true;
    }

    private bool TakeRateSlot(string key)
    {
        long now = _time.GetTimestamp();
        lock (_recentRuns)
        {
            if (!_recentRuns.TryGetValue(key, out var runs))
            {
                runs = new Queue<long>();
                _recentRuns[key] = runs;
            }

            while (runs.Count > 0 && _time.GetElapsedTime(runs.Peek(), now) >= TimeSpan.FromMinutes(1))
            {
                runs.Dequeue();
            }

            if (runs.Count >= _maxPerMinute)
            {
                return false;
            }

            runs.Enqueue(now);
            return true;
        }
    }

    private async Task WorkAsync()
    {
        try
        {
            await foreach (var pending in _queue.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                var result = await RunAsync(pending).ConfigureAwait(false);
                Completed?.Invoke(result);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task<HookRunResult> RunAsync(Pending pending)
    {
        var start = new ProcessStartInfo(pending.Arguments[0])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in pending.Arguments.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return new HookRunResult(pending.Command, pending.Arguments, HookRunOutcome.FailedToStart, null, e.Message);
        }

        using (process)
        {
            // Drain both outputs so a chatty hook cannot block on a full pipe.
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            try
            {
                if (pending.StandardInput is { } input)
                {
                    await process.StandardInput.WriteLineAsync(input).ConfigureAwait(false);
                }

                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The hook did not read its input; that is its business.
            }

            using var deadline = new CancellationTokenSource(_timeout, _time);
            try
            {
                await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                return new HookRunResult(pending.Command, pending.Arguments, HookRunOutcome.TimedOut, null, $"killed after {_timeout.TotalSeconds:0.#}s");
            }

            await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
            var error = (await stderr.ConfigureAwait(false)).Trim();
            return new HookRunResult(pending.Command, pending.Arguments, HookRunOutcome.Exited, process.ExitCode, error.Length == 0 ? null : error.Split('\n')[0]);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        // Let queued runs finish for a moment, then stop waiting for more.
        var drained = Task.WhenAll(_workers);
        if (await Task.WhenAny(drained, Task.Delay(_timeout, _time)).ConfigureAwait(false) != drained)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }

        await drained.ConfigureAwait(false);
        _stop.Dispose();
    }

    private sealed record Pending(HookCommand Command, string[] Arguments, string? StandardInput);
}
