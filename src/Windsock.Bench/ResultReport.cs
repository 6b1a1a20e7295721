using System.Globalization;
using System.Text.Json;

namespace Windsock.Bench;

/// <summary>Writes a result as one JSON object (snake_case keys, one line) or as a small human table.</summary>
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
            json.WriteString("close_first", options.CloseFirst == CloseFirst.Server ? "server" : "client");
            json.WriteNumber("seconds", Math.Round(result.Seconds, 3));
            json.WriteNumber("succeeded", result.Succeeded);
            json.WriteNumber("failed", result.Failed);
            json.WriteNumber("conn_per_s", Math.Round(result.ConnectionsPerSecond, 1));
            WriteNullable(json, "server_cpu_percent", result.ServerCores is double cores ? Math.Round(cores * 100, 1) : null);
            WriteNullable(json, "server_cpu_us_per_conn", result.ServerMicrosecondsPerConnection is double us ? Math.Round(us, 1) : null);
            json.WriteNumber("bench_cpu_percent", Math.Round(result.BenchCores * 100, 1));
            WriteLatency(json, result.Latency);
            json.WriteString("first_error", result.FirstError);
        });
    }

    public void WriteJson(BenchOptions options, UdpRateResult result)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(result);
        WriteJsonObject(options, json =>
        {
            json.WriteNumber("concurrency", result.Concurrency);
            json.WriteNumber("payload_bytes", result.PayloadSize);
            json.WriteNumber("seconds", Math.Round(result.Seconds, 3));
            json.WriteNumber("succeeded", result.Succeeded);
            json.WriteNumber("lost", result.Lost);
            json.WriteNumber("failed", result.WorkersFailed);
            json.WriteNumber("dgram_per_s", Math.Round(result.DatagramsPerSecond, 1));
            WriteNullable(json, "server_cpu_percent", result.ServerCores is double cores ? Math.Round(cores * 100, 1) : null);
            WriteNullable(json, "server_cpu_us_per_rt", result.ServerMicrosecondsPerRoundTrip is double us ? Math.Round(us, 2) : null);
            json.WriteNumber("bench_cpu_percent", Math.Round(result.BenchCores * 100, 1));
            WriteNullable(json, "bench_cpu_us_per_rt", result.BenchMicrosecondsPerRoundTrip is double bench ? Math.Round(bench, 2) : null);
            WriteLatency(json, result.Latency);
            json.WriteString("first_error", result.FirstError);
        });
    }

    public void WriteJson(BenchOptions options, IdleResult result)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(result);
        WriteJsonObject(options, json =>
        {
            json.WriteNumber("sessions", result.Sessions);
            json.WriteNumber("opened", result.Opened);
            json.WriteNumber("failed", result.Failed);
            json.WriteNumber("dropped", result.Dropped);
            json.WriteNumber("alive_at_end", result.AliveAtEnd);
            json.WriteNumber("open_seconds", Math.Round(result.OpenSeconds, 3));
            json.WriteNumber("hold_seconds", Math.Round(result.HoldSeconds, 3));
            WriteNullable(json, "nofile_limit", result.FileLimit);
            json.WriteStartArray("pids");
            foreach (int pid in options.Pids)
            {
                json.WriteNumberValue(pid);
            }

            json.WriteEndArray();
            WriteNullable(json, "pgid", options.ProcessGroup);
            WriteNullable(json, "processes", result.Held?.Processes);
            WriteNullable(json, "rss_before_kib", result.Before?.RssKiB);
            WriteNullable(json, "rss_held_kib", result.Held?.RssKiB);
            WriteNullable(json, "rss_after_close_kib", result.AfterClose?.RssKiB);
            WriteNullable(json, "rss_per_session_kib", result.RssPerSessionKiB is double r ? Math.Round(r, 2) : null);
            WriteNullable(json, "pss_before_kib", result.Before?.PssKiB);
            WriteNullable(json, "pss_held_kib", result.Held?.PssKiB);
            WriteNullable(json, "pss_per_session_kib", result.PssPerSessionKiB is double p ? Math.Round(p, 2) : null);
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
        WriteRows(options, [
            ("concurrency", Str($"{result.Concurrency}")),
            ("closes first", options.CloseFirst == CloseFirst.Server ? "server" : "client"),
            ("measured", Str($"{result.Seconds:F2} s")),
            ("connections", Str($"{result.Succeeded:N0} ok, {result.Failed:N0} failed")),
            ("rate", Str($"{result.ConnectionsPerSecond:F0} conn/s")),
            ("server CPU", result.ServerCores is double cores ? Str($"{cores * 100:F0} % of a core, {result.ServerMicrosecondsPerConnection:F0} µs per connection") : "-"),
            ("bench CPU", Str($"{result.BenchCores * 100:F0} % of a core")),
            .. LatencyRows(result.Latency),
            ("first error", result.FirstError ?? "-"),
        ]);
    }

    public void WriteTable(BenchOptions options, UdpRateResult result)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(result);
        WriteRows(options, [
            ("concurrency", Str($"{result.Concurrency} ({result.WorkersFailed} failed)")),
            ("payload", Str($"{result.PayloadSize} bytes")),
            ("measured", Str($"{result.Seconds:F2} s")),
            ("round trips", Str($"{result.Succeeded:N0} ok, {result.Lost:N0} lost")),
            ("rate", Str($"{result.DatagramsPerSecond:F0} datagrams/s (round trips)")),
            ("server CPU", result.ServerMicrosecondsPerRoundTrip is double us ? Str($"{result.ServerCores * 100:F0} % of a core, {us:F1} µs per round trip") : "-"),
            ("bench CPU", Str($"{result.BenchCores * 100:F0} % of a core, {result.BenchMicrosecondsPerRoundTrip ?? 0:F1} µs per round trip")),
            .. LatencyRows(result.Latency),
            ("first error", result.FirstError ?? "-"),
        ]);
    }

    public void WriteTable(BenchOptions options, IdleResult result)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(result);
        static string Kib(long? kib) => kib is long k ? Str($"{k / 1024.0:F1} MiB") : "-";
        var rows = new List<(string, string)>
        {
            ("sessions", Str($"{result.Opened:N0} of {result.Sessions:N0} opened in {result.OpenSeconds:F2} s, {result.Failed:N0} failed")),
            ("held", Str($"{result.HoldSeconds:F2} s, {result.Dropped:N0} dropped by the proxy, {result.AliveAtEnd:N0} alive at the end")),
            ("nofile limit", result.FileLimit is ulong l ? Str($"{l}") : "unknown"),
        };
        if (result.Before is not null)
        {
            rows.Add(("server processes", Str($"{result.Held?.Processes}")));
            rows.Add(("server RSS", $"{Kib(result.Before.RssKiB)} before, {Kib(result.Held?.RssKiB)} held, {Kib(result.AfterClose?.RssKiB)} after close"));
            rows.Add(("RSS per session", result.RssPerSessionKiB is double r ? Str($"{r:F1} KiB") : "-"));
            rows.Add(("server PSS", $"{Kib(result.Before.PssKiB)} before, {Kib(result.Held?.PssKiB)} held"));
            rows.Add(("PSS per session", result.PssPerSessionKiB is double p ? Str($"{p:F1} KiB") : "-"));
        }

        rows.Add(("first error", result.FirstError ?? "-"));
        WriteRows(options, rows);
    }

    private static IEnumerable<(string, string)> LatencyRows(LatencyHistogram h)
    {
        string Latency(long us) => h.Count == 0 ? "-" : Micros(us);
        return [
            ("latency p50", Latency(h.Percentile(50))),
            ("latency p90", Latency(h.Percentile(90))),
            ("latency p99", Latency(h.Percentile(99))),
            ("latency p99.9", Latency(h.Percentile(99.9))),
            ("latency max", Latency(h.MaxMicroseconds)),
        ];
    }

    private static void WriteLatency(Utf8JsonWriter json, LatencyHistogram latency)
    {
        json.WriteNumber("p50_us", latency.Percentile(50));
        json.WriteNumber("p90_us", latency.Percentile(90));
        json.WriteNumber("p99_us", latency.Percentile(99));
        json.WriteNumber("p999_us", latency.Percentile(99.9));
        json.WriteNumber("max_us", latency.MaxMicroseconds);
        json.WriteNumber("mean_us", Math.Round(latency.MeanMicroseconds, 1));
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, double? value)
    {
        if (value is double v)
        {
            json.WriteNumber(name, v);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, long? value)
    {
        if (value is long v)
        {
            json.WriteNumber(name, v);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, ulong? value)
    {
        if (value is ulong v)
        {
            json.WriteNumber(name, v);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static string Str(FormattableString text) => text.ToString(Invariant);

    private static string Micros(long us) => us >= 10_000
        ? Str($"{us / 1000.0:F1} ms")
        : Str($"{us} µs");

    private static string Target(BenchOptions options) => options.Proxy switch
    {
        null => "direct (no proxy)",
        { SendsName: true } proxy => proxy + " (destination by name: " + options.TargetName + ")",
        var proxy => proxy.ToString(),
    };

    private static string? Auth(ProxySpec? proxy) => proxy switch
    {
        null => null,
        { Credentials: null } => "none",
        { IsSocks4: true } => "userid",
        _ => "userpass",
    };

    private void WriteRows(BenchOptions options, IReadOnlyList<(string Name, string Value)> rows)
    {
        var all = new List<(string Name, string Value)>
        {
            ("mode", options.Mode),
            ("target", Target(options)),
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
            json.WriteString("proxy", options.Proxy?.EndPoint.ToString());
            json.WriteString("protocol", options.Proxy is null ? "direct" : options.Proxy.Protocol.ToString().ToLowerInvariant());
            json.WriteString("auth", Auth(options.Proxy));
            body(json);
            json.WriteEndObject();
        }

        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}
