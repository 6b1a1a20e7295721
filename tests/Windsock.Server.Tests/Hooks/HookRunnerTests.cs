using System.Collections.Concurrent;
using Windsock.Server.Hooks;
using Xunit;

namespace Windsock.Server.Tests.Hooks;

public class HookRunnerTests
{
    private static readonly HookValues Hostile = new(
        ClientName: null, ClientAddress: "10.1.2.3", Command: "connect", Service: null, Port: "23",
        IdentUser: null, SocksUser: "evil; touch /tmp/pwned-$$", DestinationName: "x`id`.example", DestinationAddress: "192.0.2.9");

    private static HookCommand Parse(string text)
    {
        Assert.True(HookCommand.TryParse(text, out var command, out var error), error);
        return command!;
    }

    private static async Task<HookRunResult> RunOneAsync(HookRunner runner, HookCommand command, HookValues values, string? input)
    {
        var done = new TaskCompletionSource<HookRunResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        runner.Completed += r => done.TrySetResult(r);
        Assert.True(runner.TryQueue(command, values, input));
        return await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_shell_hook_writes_the_sanitised_values_and_gets_the_log_line_on_stdin()
    {
        using var dir = new TempFolder();
        var output = Path.Combine(dir.Path, "out");
        await using var runner = new HookRunner(TimeSpan.FromSeconds(10), 30, 2, TimeProvider.System);

        var result = await RunOneAsync(runner, Parse($"/bin/sh -c 'echo \"%u|%Z|%a|%s\" > {output}; cat >> {output}'"), Hostile, "the request log line");

        Assert.Equal(HookRunOutcome.Exited, result.Outcome);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("evil__touch__tmp_pwned-__|x_id_.example|10.1.2.3|23\nthe request log line\n", await File.ReadAllTextAsync(output));
        Assert.Empty(Directory.GetFiles("/tmp", "pwned-*"));
    }

    [Fact]
    public async Task A_hung_hook_is_killed_at_the_time_limit()
    {
        await using var runner = new HookRunner(TimeSpan.FromMilliseconds(300), 30, 1, TimeProvider.System);
        var result = await RunOneAsync(runner, Parse("/bin/sleep 60"), Hostile, null);
        Assert.Equal(HookRunOutcome.TimedOut, result.Outcome);
    }

    [Fact]
    public async Task A_missing_program_is_reported_not_thrown()
    {
        await using var runner = new HookRunner(TimeSpan.FromSeconds(5), 30, 1, TimeProvider.System);
        var result = await RunOneAsync(runner, Parse("/nonexistent/hook"), Hostile, null);
        Assert.Equal(HookRunOutcome.FailedToStart, result.Outcome);
    }

    [Fact]
    public async Task Runs_beyond_the_rate_limit_are_dropped_and_reported()
    {
        await using var runner = new HookRunner(TimeSpan.FromSeconds(5), maxPerMinute: 3, concurrency: 1, TimeProvider.System);
        var results = new ConcurrentQueue<HookRunResult>();
        runner.Completed += results.Enqueue;
        var command = Parse("/bin/true");

        var accepted = Enumerable.Range(0, 10).Count(_ => runner.TryQueue(command, Hostile, null));

        Assert.Equal(3, accepted);
        Assert.Equal(7, results.Count(r => r.Outcome == HookRunOutcome.RateLimited));
    }

    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("windsock-hooks-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
