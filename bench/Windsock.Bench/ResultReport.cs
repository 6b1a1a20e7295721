using System.Globalization;
using System.Text.Json;

namespace Windsock.Bench;

/// <summary>Writes a result as one JSON object or as a small human table.</summary>
public sealed class ResultReport(TextWriter output)
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public void WriteJson(BenchOptions options, ThroughputResult result)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(result);
        WriteJsonObject(options, json =>
        {
            json.WriteNumber("streams", result.Streams);
            json.WriteNumber("streams_failed", result.StreamsFailed);
            json.WriteNumber("buffer_bytes", result.BufferSize);
            json.WriteNumber("seconds", Math.Round(result.Seconds, 3));
            json.WriteNumber("bytes", result.Bytes);
            json.WriteNumber("gbit_per_s", Math.Round(result.GigabitsPerSecond, 3));
            json.WriteString("first_error", result.FirstError);
        });
    }

    public void WriteJson(BenchOptions options, ConnectionRateResult result)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(result);
        WriteJsonObject(options, json =>
        {
            json.WriteNumber("concurrency", result.Concurrency);
            json.WriteNumber("seconds", Math.Round(result.Seconds, 3));
            json.WriteNumber("succeeded", result.Succeeded);
            json.WriteNumber("failed", result.Failed);
            json.WriteNumber("conn_per_s", Math.Round(result.ConnectionsPerSecond, 1));
            json.WriteNumber("p50_us", result.Latency.Percentile(50));
            json.WriteNumber("p90_us", result.Latency.Percentile(90));
            json.WriteNumber("p99_us", result.Latency.Percentile(99));
            json.WriteNumber("p999_us", result.Latency.Percentile(99.9));
            json.WriteNumber("max_us", result.Latency.MaxMicroseconds);
            json.WriteNumber("mean_us", Math.Round(result.Latency.MeanMicroseconds, 1));
            json.WriteString("first_error", result.FirstError);
        });
    }

    public void WriteTable(BenchOptions options, ThroughputResult result)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(result);
        WriteRows(options, [
            ("streams", Str($"{result.Streams} ({result.StreamsFailed} failed)")),
            ("buffer", Str($"{result.BufferSize / 1024} KiB")),
            ("measured", Str($"{result.Seconds:F2} s")),
            ("bytes", Str($"{result.Bytes:N0}")),
            ("throughput", Str($"{result.GigabitsPerSecond:F2} Gbit/s")),
            ("first error", result.FirstError ?? "-"),
        ]);
    }

    public void WriteTable(BenchOptions options, ConnectionRateResult result)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(result);
        LatencyHistogram h = result.Latency;
        string Latency(long us) => h.Count == 0 ? "-" : Micros(us);
        WriteRows(options, [
            ("concurrency", Str($"{result.Concurrency}")),
            ("measured", Str($"{result.Seconds:F2} s")),
            ("connections", Str($"{result.Succeeded:N0} ok, {result.Failed:N0} failed")),
            ("rate", Str($"{result.ConnectionsPerSecond:F0} conn/s")),
            ("latency p50", Latency(h.Percentile(50))),
            ("latency p90", Latency(h.Percentile(90))),
            ("latency p99", Latency(h.Percentile(99))),
            ("latency p99.9", Latency(h.Percentile(99.9))),
            ("latency max", Latency(h.MaxMicroseconds)),
            ("first error", result.FirstError ?? "-"),
        ]);
    }

    private static string Str(FormattableString text) => text.ToString(Invariant);

    private static string Micros(long us) => us >= 10_000
        ? Str($"{us / 1000.0:F1} ms")
        : Str($"{us} µs");

    private void WriteRows(BenchOptions options, IReadOnlyList<(string Name, string Value)> rows)
    {
        var all = new List<(string Name, string Value)>
        {
            ("mode", options.Mode),
            ("target", options.Proxy is null ? "direct (no proxy)" : "SOCKS5 " + options.Proxy + (options.Credentials is null ? " no-auth" : " user/pass")),
        };
        if (options.Label is not null)
        {
            all.Insert(0, ("label", options.Label));
        }

        all.AddRange(rows);
        int width = all.Max(r => r.Name.Length);
        foreach ((string name, string value) in all)
        {
            output.WriteLine(name.PadRight(width) + "  " + value);
        }
    }

    private void WriteJsonObject(BenchOptions options, Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("mode", options.Mode);
            json.WriteString("label", options.Label);
            json.WriteString("proxy", options.Proxy?.ToString());
            json.WriteString("auth", options.Proxy is null ? null : options.Credentials is null ? "none" : "userpass");
            body(json);
            json.WriteEndObject();
        }

        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}
