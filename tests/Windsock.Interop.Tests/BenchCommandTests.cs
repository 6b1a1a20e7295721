using System.Globalization;
using System.Text.Json;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// `windsock bench` as a process: short, bounded loads against the loopback baseline and a
/// started `windsock serve`. Checks the JSON report and that every connection succeeded; never
/// a speed (benchmarks are not tests).
/// </summary>
[Trait("Needs", "windsock-serve")]
public sealed class BenchCommandTests(OpenServerFixture fixture) : IClassFixture<OpenServerFixture>
{
    private string Proxy => fixture.Server.IPv4.ToString();

    private static async Task<(ProcessResult Result, JsonElement Json)> BenchAsync(params string[] args)
    {
        var result = await ProcessRunner.RunAsync(Tools.Dotnet, [Tools.WindsockDll, "bench", .. args], timeout: TimeSpan.FromSeconds(90));
        Assert.False(result.TimedOut, result.Describe());
        Assert.True(result.ExitCode == 0, result.Describe());
        var lines = result.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, "one JSON line expected\n" + result.Describe());
        using var document = JsonDocument.Parse(lines[0]);
        return (result, document.RootElement.Clone());
    }

    private static long Number(JsonElement json, string name, ProcessResult result)
    {
        Assert.True(json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number, $"no number '{name}'\n{result.Describe()}");
        return (long)value.GetDouble();
    }

    private static void NoError(JsonElement json, ProcessResult result) =>
        Assert.True(json.GetProperty("first_error").ValueKind == JsonValueKind.Null, result.Describe());

    [Fact]
    public async Task Connrate_direct_reports_connections_and_latency_without_failures()
    {
        var (result, json) = await BenchAsync("connrate", "--direct", "--seconds", "1", "--json");

        Assert.Equal("connrate", json.GetProperty("mode").GetString());
        Assert.Equal("direct", json.GetProperty("protocol").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("proxy").ValueKind);
        Assert.Equal(1, Number(json, "concurrency", result));
        Assert.True(Number(json, "succeeded", result) > 0, result.Describe());
        Assert.Equal(0, Number(json, "failed", result));
        Assert.True(Number(json, "conn_per_s", result) > 0, result.Describe());
        foreach (var field in new[] { "seconds", "p50_us", "p90_us", "p99_us", "p999_us", "max_us", "mean_us" })
        {
            Number(json, field, result);
        }

        NoError(json, result);
    }

    [Fact]
    public async Task Throughput_through_windsock_moves_bytes_on_every_stream()
    {
        var (result, json) = await BenchAsync("throughput", "--proxy", Proxy, "--seconds", "1", "--warmup", "0.2", "--json");

        Assert.Equal("throughput", json.GetProperty("mode").GetString());
        Assert.Equal("socks5", json.GetProperty("protocol").GetString());
        Assert.Equal("none", json.GetProperty("auth").GetString());
        Assert.Equal(Proxy, json.GetProperty("proxy").GetString());
        Assert.Equal(1, Number(json, "streams", result));
        Assert.Equal(0, Number(json, "streams_failed", result));
        Assert.True(Number(json, "bytes", result) > 0, result.Describe());
        Number(json, "gbit_per_s", result);
        Number(json, "seconds", result);
        NoError(json, result);
    }

    [Theory]
    [InlineData("socks4")]
    [InlineData("socks4a")]
    [InlineData("socks5h")]
    public async Task Connrate_through_windsock_speaks_every_protocol(string scheme)
    {
        var (result, json) = await BenchAsync("connrate", "--proxy", $"{scheme}://{Proxy}", "--concurrency", "2", "--seconds", "0.5", "--warmup", "0", "--json");

        Assert.Equal(scheme, json.GetProperty("protocol").GetString());
        Assert.True(Number(json, "succeeded", result) > 0, result.Describe());
        Assert.Equal(0, Number(json, "failed", result));
        NoError(json, result);
    }

    [Theory]
    [InlineData("client")]
    [InlineData("server")]
    public async Task Connrate_through_windsock_succeeds_whichever_end_closes_first(string closeFirst)
    {
        // With "server" the echo target closes after its echo and the client waits for that end of stream:
        // a proxy that did not pass the target's FIN on would leave every worker waiting out its timeout.
        var (result, json) = await BenchAsync("connrate", "--proxy", Proxy, "--concurrency", "4", "--seconds", "0.5", "--warmup", "0", "--close-first", closeFirst, "--json");

        Assert.Equal(closeFirst, json.GetProperty("close_first").GetString());
        Assert.True(Number(json, "succeeded", result) > 0, result.Describe());
        Assert.Equal(0, Number(json, "failed", result));
        NoError(json, result);
    }

    [Fact]
    public async Task Udp_through_windsock_round_trips_datagrams()
    {
        var (result, json) = await BenchAsync("udp", "--proxy", Proxy, "--concurrency", "2", "--seconds", "1", "--warmup", "0.2", "--json");

        Assert.Equal("udp", json.GetProperty("mode").GetString());
        Assert.Equal(64, Number(json, "payload_bytes", result));
        Assert.True(Number(json, "succeeded", result) > 0, result.Describe());
        Assert.Equal(0, Number(json, "failed", result));
        Number(json, "lost", result); // loopback UDP may drop under load; not asserted
        Number(json, "dgram_per_s", result);
        Number(json, "p99_us", result);
        NoError(json, result);
    }

    [Fact]
    public async Task Idle_holds_sessions_through_windsock_and_reads_its_memory()
    {
        var pid = fixture.Server.Pid.ToString(CultureInfo.InvariantCulture);
        var (result, json) = await BenchAsync("idle", "--proxy", Proxy, "--sessions", "50", "--seconds", "0.5", "--pid", pid, "--json");

        Assert.Equal(50, Number(json, "sessions", result));
        Assert.Equal(50, Number(json, "opened", result));
        Assert.Equal(0, Number(json, "failed", result));
        Assert.Equal(0, Number(json, "dropped", result));
        Assert.Equal(50, Number(json, "alive_at_end", result));
        Assert.True(Number(json, "rss_before_kib", result) > 0, result.Describe());
        Assert.True(Number(json, "rss_held_kib", result) > 0, result.Describe());
        Number(json, "rss_per_session_kib", result);
        Assert.Equal(pid, json.GetProperty("pids")[0].GetInt32().ToString(CultureInfo.InvariantCulture));
        NoError(json, result);
    }

    [Fact]
    public async Task Connrate_with_the_servers_pid_reports_its_cpu_per_connection()
    {
        var pid = fixture.Server.Pid.ToString(CultureInfo.InvariantCulture);
        var (result, json) = await BenchAsync("connrate", "--proxy", Proxy, "-j", "4", "--seconds", "1", "--warmup", "0.2", "--pid", pid, "--json");

        Assert.Equal(0, Number(json, "failed", result));
        long succeeded = Number(json, "succeeded", result);
        Assert.True(succeeded > 0, result.Describe());

        // The server handled every one of those connections, so it used CPU for them: /proc/PID/stat's ticks moved.
        double percent = json.GetProperty("server_cpu_percent").GetDouble();
        double perConnection = json.GetProperty("server_cpu_us_per_conn").GetDouble();
        Assert.True(percent > 0 && percent < 100 * Environment.ProcessorCount + 1, result.Describe());
        Assert.True(perConnection > 0, result.Describe());
        Assert.Equal(percent / 100 * 1e6 / json.GetProperty("conn_per_s").GetDouble(), perConnection, perConnection * 0.01 + 0.2);
        Assert.True(json.GetProperty("bench_cpu_percent").GetDouble() > 0, result.Describe());
        NoError(json, result);
    }

    [Fact]
    public async Task Connrate_without_a_pid_reports_no_server_cpu()
    {
        var (result, json) = await BenchAsync("connrate", "--proxy", Proxy, "--seconds", "0.5", "--warmup", "0", "--json");

        Assert.Equal(JsonValueKind.Null, json.GetProperty("server_cpu_percent").ValueKind);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("server_cpu_us_per_conn").ValueKind);
        NoError(json, result);
    }

    [Theory]
    [InlineData("throughput", "--proxy", "10.0.0.1:1080")]
    [InlineData("connrate", "--proxy", "socks5://u:p@192.0.2.1:1080")]
    [InlineData("udp", "--proxy", "socks4://127.0.0.1:1080")]
    [InlineData("connrate", "--direct", "--proxy", "127.0.0.1:1080")]
    public async Task Unusable_targets_are_refused_before_anything_is_sent(params string[] args)
    {
        var result = await ProcessRunner.RunAsync(Tools.Dotnet, [Tools.WindsockDll, "bench", .. args, "--seconds", "1"], timeout: TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == 2, result.Describe());
        Assert.True(result.StderrMentions("windsock bench: error"), result.Describe());
        Assert.Empty(result.Stdout);
    }
}
