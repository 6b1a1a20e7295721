using System.Net;
using System.Text.Json;
using Windsock.Client;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// `windsock serve` refuses bad configurations before binding anything, naming where and how to fix; and what it
/// prints once it runs: "listening on" once per listener, diagnostics in the log format asked for, at [log] level.
/// </summary>
[Trait("Needs", "windsock-serve")]
public sealed class StartupTests
{
    private static Task<ProcessResult> ServeAsync(params string[] args) =>
        ProcessRunner.RunAsync(Tools.Dotnet, [Tools.WindsockDll, "serve", .. args], timeout: TimeSpan.FromSeconds(60));

    [Fact]
    public async Task Listening_beyond_loopback_without_authentication_refuses_to_start()
    {
        var result = await ServeAsync("--listen", "0.0.0.0:0");

        Assert.Equal(2, result.ExitCode);
        Assert.True(result.StderrMentions("--listen"), result.Describe());
        Assert.True(result.StderrMentions("allow_open_proxy"), result.Describe());
        Assert.True(result.StderrMentions("users"), result.Describe());
    }

    [Fact]
    public async Task A_config_error_names_file_line_and_column()
    {
        using var dir = new TempDirectory();
        var config = Path.Combine(dir.Path, "windsock.toml");
        await File.WriteAllTextAsync(config, "[server]\nlisten = [\"127.0.0.1:0\"]\nidle_timout = \"5m\"\n", TestContext.Current.CancellationToken);

        var result = await ServeAsync("--config", config);

        Assert.Equal(2, result.ExitCode);
        Assert.True(result.StderrMentions($"{config}:3:1"), result.Describe());
        Assert.True(result.StderrMentions("idle_timeout"), result.Describe()); // the "did you mean" hint
    }

    [Fact]
    public async Task A_missing_users_file_is_a_startup_error()
    {
        using var dir = new TempDirectory();
        var result = await ServeAsync("--listen", "127.0.0.1:0", "--users", Path.Combine(dir.Path, "nope"));

        Assert.Equal(2, result.ExitCode);
        Assert.True(result.StderrMentions("nope"), result.Describe());
    }

    [Fact]
    public async Task A_port_in_use_is_reported_with_the_address()
    {
        await using var first = await WindsockProcess.StartAsync("--listen", "127.0.0.1:0");
        var taken = first.IPv4.ToString();

        var result = await ServeAsync("--listen", taken);

        Assert.Equal(1, result.ExitCode);
        Assert.True(result.StderrMentions($"cannot listen on {taken}"), result.Describe());
    }

    [Fact]
    public async Task With_log_format_json_a_failure_to_listen_is_a_json_diagnostic_too()
    {
        await using var first = await WindsockProcess.StartAsync("--listen", "127.0.0.1:0");
        var taken = first.IPv4.ToString();
        using var dir = new TempDirectory();
        var config = await WriteConfigAsync(dir, $"[server]\nlisten = [\"{taken}\"]\nlog_format = \"json\"\n");

        var result = await ServeAsync("--config", config);

        Assert.Equal(1, result.ExitCode);
        string[] lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length > 0, result.Describe());
        var diagnostics = new List<JsonElement>();
        foreach (string line in lines)
        {
            try
            {
                using var document = JsonDocument.Parse(line);
                diagnostics.Add(document.RootElement.Clone());
            }
            catch (JsonException e)
            {
                Assert.Fail($"not JSON ({e.Message}): {line}\n{result.Describe()}");
            }
        }

        var failure = Assert.Single(diagnostics, d => d.GetProperty("LogLevel").GetString() == "Critical");
        string message = failure.GetProperty("Message").GetString()!;
        Assert.StartsWith("windsock: error: ", message, StringComparison.Ordinal);
        Assert.Contains($"cannot listen on {taken}", message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_config_file_is_served_as_written()
    {
        using var dir = new TempDirectory();
        var config = Path.Combine(dir.Path, "windsock.toml");
        await File.WriteAllTextAsync(config, "[server]\nlisten = [\"127.0.0.1:0\"]\nlog_format = \"json\"\n", TestContext.Current.CancellationToken);

        await using var server = await WindsockProcess.StartAsync("--config", config);

        Assert.Single(server.Endpoints);
        Assert.Contains(server.StdoutLines, l => l.StartsWith("{", StringComparison.Ordinal) && l.Contains("\"event\":\"listening\"", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("text")]
    [InlineData("json")]
    public async Task Listening_on_is_printed_once_per_listener_on_standard_output_only_at_the_default_level(string format)
    {
        using var dir = new TempDirectory();
        var config = await WriteConfigAsync(dir, $"[server]\nlisten = [\"127.0.0.1:0\"]\nlog_format = \"{format}\"\n");
        var server = await WindsockProcess.StartAsync("--config", config, "--listen", "127.0.0.1:0", "--listen", "[::1]:0");
        await using var _ = server;

        // Stopped and drained, so a line either stream was still to print is in.
        server.Terminate();
        Assert.Equal(0, await server.WaitForExitAsync(Timeouts.Stop));
        Assert.Equal(2, server.Endpoints.Count);
        foreach (var endPoint in server.Endpoints)
        {
            Assert.True(server.StdoutLines.Count(l => l.Contains($"listening on {endPoint}", StringComparison.Ordinal)) == 1, server.Transcript());
        }

        Assert.True(server.StdoutLines.Count(l => l.Contains("listening on", StringComparison.OrdinalIgnoreCase)) == 2, server.Transcript());
        Assert.True(!server.StderrLines.Any(l => l.Contains("listening on", StringComparison.OrdinalIgnoreCase)), server.Transcript());
    }

    [Fact]
    public async Task With_log_format_json_the_diagnostics_are_json_objects_too()
    {
        using var dir = new TempDirectory();
        ushort denied = FreePort.Closed();
        var config = await WriteConfigAsync(dir, RulesConfig(denied, "[server]\nlisten = [\"127.0.0.1:0\"]\nlog_format = \"json\"\n"));
        var server = await WindsockProcess.StartAsync("--config", config);
        await using var _ = server;

        // A denial is written to the diagnostics at the rule's level, info by default.
        var refused = await Clients.CurlAsync($"http://127.0.0.1:{denied}/", "--socks5", Clients.HostPort(server.IPv4));
        Assert.True(refused.ExitCode != 0, refused.Describe());
        await server.WaitForErrorLineAsync(l => l.Contains("denied by", StringComparison.Ordinal), "the denial's diagnostic line");
        server.Terminate();
        Assert.Equal(0, await server.WaitForExitAsync(Timeouts.Stop));

        var diagnostics = server.StderrLines.Select(l => JsonLine(l, server)).ToList();
        var denial = Assert.Single(diagnostics, d => d.GetProperty("Message").GetString()!.Contains("denied by", StringComparison.Ordinal));
        Assert.Equal("Information", denial.GetProperty("LogLevel").GetString());
        Assert.Contains($"no port {denied}", denial.GetProperty("Message").GetString(), StringComparison.Ordinal);
        Assert.All(diagnostics, d => Assert.True(d.TryGetProperty("Timestamp", out var time) && d.TryGetProperty("Category", out var category), d.ToString()));
        // And the request log beside them, as before.
        Assert.All(server.StdoutLines, l => JsonLine(l, server));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_dropped_udp_datagram_is_a_debug_line_at_level_debug_and_absent_at_the_default(bool debug)
    {
        using var dir = new TempDirectory();
        ushort denied = FreePort.Closed();
        string level = debug ? "[log]\nlevel = \"debug\"\n" : "";
        var config = await WriteConfigAsync(dir, RulesConfig(denied, "[server]\nlisten = [\"127.0.0.1:0\"]\n" + level));
        var server = await WindsockProcess.StartAsync("--config", config);
        await using var _ = server;
        await using var echo = new UdpEcho(IPAddress.Loopback);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(Timeouts.Client);

        await using (var udp = await new SocksClient(new ProxyHop(server.IPv4)).AssociateUdpAsync(timeout.Token))
        {
            await udp.SendAsync("to the denied port"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, denied), timeout.Token);
            await UdpRelayExchange.EchoAsync(udp, new IPEndPoint(IPAddress.Loopback, echo.Port), "relayed"u8.ToArray(), timeout.Token);
        }

        var end = await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal) && l.Contains("command=udp-associate", StringComparison.Ordinal), "the association's end line");
        Assert.Contains("denied=1", end, StringComparison.Ordinal);
        server.Terminate();
        Assert.Equal(0, await server.WaitForExitAsync(Timeouts.Stop));

        var dropLines = server.StderrLines.Where(l => l.Contains("UDP datagram from 127.0.0.1:", StringComparison.Ordinal)).ToList();
        if (debug)
        {
            var line = Assert.Single(dropLines);
            Assert.Contains("dbug:", line, StringComparison.Ordinal);
            Assert.Contains($"dropped (denied): destination 127.0.0.1:{denied} not allowed", line, StringComparison.Ordinal);
        }
        else
        {
            Assert.True(dropLines.Count == 0, server.Transcript());
            Assert.True(!server.StderrLines.Any(l => l.Contains("dbug:", StringComparison.Ordinal)), server.Transcript());
        }
    }

    /// <summary><paramref name="head"/>, then a rule denying port <paramref name="denied"/> and one allowing loopback.</summary>
    private static string RulesConfig(ushort denied, string head) => head + $"""

        [[rule]]
        name = "no port {denied}"
        action = "deny"
        ports = [{denied}]

        [[rule]]
        name = "loopback"
        action = "allow"
        to = ["127.0.0.0/8"]
        """;

    private static async Task<string> WriteConfigAsync(TempDirectory dir, string text)
    {
        var config = Path.Combine(dir.Path, "windsock.toml");
        await File.WriteAllTextAsync(config, text, TestContext.Current.CancellationToken);
        return config;
    }

    /// <summary>The line as a JSON object, or the test fails naming it.</summary>
    private static JsonElement JsonLine(string line, WindsockProcess server)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            Assert.True(document.RootElement.ValueKind == JsonValueKind.Object, $"not a JSON object: {line}\n{server.Transcript()}");
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            Assert.Fail($"not JSON ({e.Message}): {line}\n{server.Transcript()}");
            throw;
        }
    }
}
