using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// [log]: the request log in a file that logrotate can move away (SIGUSR1 reopens it by its path, SIGHUP
/// still reloads), and the level: debug shows the diagnostics Information hid.
/// </summary>
[Trait("Needs", "windsock-serve")]
public sealed class LogFileTests(LoopbackTargets targets)
{
    [Fact]
    public async Task The_request_log_goes_to_the_file_and_sigusr1_starts_a_new_one_after_a_rotation()
    {
        using var dir = new TempDirectory();
        var config = Path.Combine(dir.Path, "windsock.toml");
        var log = Path.Combine(dir.Path, "requests.log");
        await File.WriteAllTextAsync(config, "[server]\nlisten = [\"127.0.0.1:0\"]\n[log]\nfile = \"requests.log\"\nlevel = \"debug\"\n", TestContext.Current.CancellationToken);
        await using var server = await WindsockProcess.StartAsync("--config", config);
        var proxy = Clients.HostPort(server.IPv4);

        // Debug: the diagnostic listener line, hidden at the default level, is on standard error now.
        await server.WaitForErrorLineAsync(l => l.Contains("Listening on 127.0.0.1:", StringComparison.Ordinal), "the debug-level listener line");
        Expect.Body(await Clients.CurlAsync(targets.Http.Url("127.0.0.1"), "--socks5", proxy), targets.Http, server);
        var first = await WaitForFileLineAsync(log, " end ");
        Assert.Contains("command=connect", first, StringComparison.Ordinal);
        Assert.DoesNotContain(server.StdoutLines, l => l.Contains(" end ", StringComparison.Ordinal));

        // What logrotate does: move the file, then postrotate sends SIGUSR1.
        File.Move(log, log + ".1");
        server.ReopenLogs();
        Expect.Body(await Clients.CurlAsync(targets.Http.Url("127.0.0.1"), "--socks5", proxy), targets.Http, server);
        await WaitForFileLineAsync(log, " end ");
        Assert.Single(File.ReadAllLines(log + ".1"), l => l.Contains(" end ", StringComparison.Ordinal));
        Assert.False(server.HasExited);
    }

    /// <summary>Polls the file (bounded: 10 s, 50 ms apart) until a line contains <paramref name="part"/>: a file has no event to wait on.</summary>
    private static async Task<string> WaitForFileLineAsync(string path, string part)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (File.Exists(path) && File.ReadAllLines(path).FirstOrDefault(l => l.Contains(part, StringComparison.Ordinal)) is { } line)
            {
                return line;
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        throw new TimeoutException($"no line with \"{part}\" in {path} within 10 s");
    }
}
