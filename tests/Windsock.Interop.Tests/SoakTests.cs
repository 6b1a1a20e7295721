using System.Globalization;
using System.Text.Json;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// The soak's two-minute version (docs/benchmarks.md has the hour): `windsock bench soak` through a real
/// `windsock serve`, 1,200 sessions of bulk and small CONNECTs, BINDs and UDP associations, each payload's
/// SHA-256 checked at both ends; the server's /proc sampled every 10 s. Nothing may fail, be lost or be
/// damaged, and the server must give back its descriptors and threads when the load is over. (RSS and
/// GC heap are not judged over two minutes: JIT and heap growth dominate there; the hour shows them.)
/// </summary>
[Trait("Needs", "windsock-serve")]
public sealed class SoakTests
{
    [Fact]
    public async Task Two_minutes_of_mixed_sessions_lose_and_damage_nothing_and_leave_no_descriptors_or_threads_behind()
    {
        await using var server = await WindsockProcess.StartAsync("--listen", "127.0.0.1:0");
        using var dir = new TempDirectory();
        var csv = Path.Combine(dir.Path, "soak.csv");
        var result = await ProcessRunner.RunAsync(Tools.Dotnet,
            [Tools.WindsockDll, "bench", "soak", "--proxy", server.IPv4.ToString(), "--pid", server.Pid.ToString(CultureInfo.InvariantCulture),
             "--sessions", "1200", "--seconds", "120", "--concurrency", "8", "--sample-seconds", "10", "--timeout", "60", "--csv", csv, "--json"],
            timeout: TimeSpan.FromMinutes(5));
        Assert.False(result.TimedOut, result.Describe());
        Assert.True(result.ExitCode == 0, result.Describe() + "\n" + server.Transcript());

        using var document = JsonDocument.Parse(result.StdoutText);
        var json = document.RootElement;
        Assert.True(json.GetProperty("clean").GetBoolean(), result.Describe());
        Assert.Equal(1200, json.GetProperty("succeeded").GetInt64());
        foreach (var zero in new[] { "failed", "corrupt", "lost_datagrams", "not_started" })
        {
            Assert.True(json.GetProperty(zero).GetInt64() == 0, $"{zero}\n{result.Describe()}");
        }

        foreach (var kind in new[] { "bulk_connects", "small_connects", "binds", "udp_associations" })
        {
            Assert.True(json.GetProperty(kind).GetInt64() > 0, $"{kind}\n{result.Describe()}");
        }

        var samples = json.GetProperty("samples").EnumerateArray().ToList();
        Assert.True(samples.Count >= 12, result.Describe());
        // Under load (the first sample after start) against after it: every session's descriptors and threads given back.
        int loadedFds = samples.Skip(1).Max(s => s.GetProperty("fds").GetInt32());
        int endFds = samples[^1].GetProperty("fds").GetInt32();
        int startFds = samples[0].GetProperty("fds").GetInt32();
        Assert.True(endFds <= startFds + 16, $"descriptors: {startFds} at start, {loadedFds} at most under load, {endFds} at the end\n{result.Describe()}");
        int startThreads = samples[0].GetProperty("threads").GetInt32();
        int endThreads = samples[^1].GetProperty("threads").GetInt32();
        Assert.True(endThreads <= startThreads + 16, $"threads: {startThreads} at start, {endThreads} at the end\n{result.Describe()}");

        var lines = await File.ReadAllLinesAsync(csv, TestContext.Current.CancellationToken);
        Assert.StartsWith("time_utc,elapsed_s,pid,rss_kib,fds,threads,gc_heap_kib", lines[0], StringComparison.Ordinal);
        Assert.Equal(samples.Count, lines.Length - 1);
    }
}
