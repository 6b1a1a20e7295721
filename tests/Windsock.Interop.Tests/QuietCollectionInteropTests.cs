using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// The quiet collection on the real `windsock serve`: a burst of sessions right after the start, shorter than the
/// collection's one-second tick, then idle, is given back once the server goes quiet, and the metric counts it.
/// </summary>
[Trait("Needs", "windsock-serve")]
public sealed partial class QuietCollectionInteropTests
{
    private const int Sessions = 1500;

    [Fact]
    public async Task A_burst_right_after_the_start_is_collected_once_its_sessions_sit_idle()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the quiet collection is armed by loop sessions here; Linux only");
        using var dir = new TempDirectory();
        string config = Path.Combine(dir.Path, "windsock.toml");
        await File.WriteAllTextAsync(config, "[server]\nlisten = [\"127.0.0.1:0\"]\n\n[admin]\nlisten = \"127.0.0.1:0\"\n", TestContext.Current.CancellationToken);
        await using var server = await WindsockProcess.StartAsync("--config", config);
        var line = server.StdoutLines.FirstOrDefault(l => l.Contains("admin listener at ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException("no admin listener line\n" + server.Transcript());
        var metrics = new Uri(new Uri(AdminUrl().Match(line).Value), "/metrics");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        Assert.Equal(0, await CollectionsAsync(http, metrics));

        // The sessions open in well under a second (64 at a time) and then sit idle for the rest of the hold.
        var bench = ProcessRunner.RunAsync(
            Tools.Dotnet,
            [Tools.WindsockDll, "bench", "idle", "--proxy", Clients.HostPort(server.IPv4), "--sessions", Sessions.ToString(CultureInfo.InvariantCulture), "--seconds", "12", "--json"],
            timeout: TimeSpan.FromSeconds(120));

        // Scraped once a second: a scrape allocates far less than the 256 KiB a second that still counts as quiet.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        long collections = 0;
        while (collections == 0 && !bench.IsCompleted)
        {
            Assert.True(DateTime.UtcNow < deadline, "no quiet collection within 30 s of the burst\n" + server.Transcript());
            await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
            collections = await CollectionsAsync(http, metrics);
        }

        var result = await bench;
        Assert.True(result.ExitCode == 0 && !result.TimedOut, result.Describe());
        using var report = JsonDocument.Parse(result.StdoutText);
        Assert.Equal(Sessions, report.RootElement.GetProperty("alive_at_end").GetInt32());
        Assert.True(collections >= 1, "the sessions were held to the end without a quiet collection\n" + server.Transcript());
    }

    private static async Task<long> CollectionsAsync(HttpClient http, Uri metrics)
    {
        string text = await http.GetStringAsync(metrics, TestContext.Current.CancellationToken);
        var sample = Regex.Match(text, @"^windsock_quiet_collections_total (\d+)$", RegexOptions.Multiline);
        Assert.True(sample.Success, "no windsock_quiet_collections_total in /metrics:\n" + text);
        return long.Parse(sample.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"http://[^\s]+/")]
    private static partial Regex AdminUrl();
}
