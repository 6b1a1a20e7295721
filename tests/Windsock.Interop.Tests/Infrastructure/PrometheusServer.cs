using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Xunit;

namespace Windsock.Interop.Tests.Infrastructure;

/// <summary>
/// Debian's prometheus as the tests run it: the configuration given, its own storage in the test's folder, and
/// instant queries through its HTTP API asked again (bounded, 45 s) until the answer is the one expected. On
/// loopback of this host, or inside a network namespace of the test (queried by curl run in that namespace).
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    public const string Binary = "/usr/bin/prometheus";

    private static readonly TimeSpan QueryDeadline = TimeSpan.FromSeconds(45);

    private readonly BackgroundCommand _process;
    private readonly string? _namespace;
    private readonly string _api;

    private PrometheusServer(BackgroundCommand process, string? networkNamespace, string api)
    {
        _process = process;
        _namespace = networkNamespace;
        _api = api;
    }

    /// <summary>One sample of an instant query's answer: its labels and value.</summary>
    public sealed record Sample(IReadOnlyDictionary<string, string> Labels, double Value);

    /// <summary>Starts prometheus with <paramref name="config"/> (prometheus.yml's text), its files in <paramref name="folder"/>.</summary>
    public static PrometheusServer Start(string folder, string config, string? networkNamespace = null)
    {
        Assert.True(File.Exists(Binary), "Debian's prometheus is not installed (test.sh installs it)");
        string path = Path.Combine(folder, "prometheus.yml");
        File.WriteAllText(path, config);
        // A namespace of the test's own has nothing else listening; on this host the port must be a free one.
        string listen = networkNamespace is null ? $"127.0.0.1:{FreePort.Closed()}" : "127.0.0.1:9090";
        string[] command = [Binary, $"--config.file={path}", $"--storage.tsdb.path={Path.Combine(folder, "tsdb")}", $"--web.listen-address={listen}"];
        var process = networkNamespace is null ? BackgroundCommand.Start(command[0], command[1..]) : FleetNetwork.StartIn(networkNamespace, command);
        return new PrometheusServer(process, networkNamespace, $"http://{listen}/api/v1/query");
    }

    /// <summary>Asks <paramref name="query"/> until it has exactly one sample, of value <paramref name="expected"/>.</summary>
    public async Task<double> QueryUntilAsync(string query, double expected) =>
        (await QueryUntilAsync(query, samples => samples.Count == 1 && samples[0].Value == expected, $"{expected}"))[0].Value;

    /// <summary>Asks <paramref name="query"/> until <paramref name="done"/> holds for its samples; fails the test with the last answer otherwise.</summary>
    public async Task<IReadOnlyList<Sample>> QueryUntilAsync(string query, Func<IReadOnlyList<Sample>, bool> done, string expected)
    {
        var deadline = Stopwatch.StartNew();
        string lastAnswer = "";
        while (deadline.Elapsed < QueryDeadline)
        {
            string[] curl = [Tools.Curl, "-sS", "--max-time", "5", "-G", "--data-urlencode", $"query={query}", _api];
            var result = _namespace is null
                ? await ProcessRunner.RunAsync(curl[0], curl[1..], timeout: TimeSpan.FromSeconds(20))
                : await FleetNetwork.RunInAsync(_namespace, curl, TimeSpan.FromSeconds(20));
            lastAnswer = result.StdoutText + result.Stderr;
            if (result.ExitCode == 0 && Parse(result.StdoutText) is { } samples && done(samples))
            {
                return samples;
            }

            await Task.Delay(250); // Prometheus is starting, or has not scraped the latest values yet
        }

        Assert.Fail($"Prometheus never answered {expected} to {query}; last answer {lastAnswer}\n{_process.Transcript()}");
        return [];
    }

    private static List<Sample>? Parse(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return [.. document.RootElement.GetProperty("data").GetProperty("result").EnumerateArray().Select(sample => new Sample(
                sample.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal),
                double.Parse(sample.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture)))];
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
