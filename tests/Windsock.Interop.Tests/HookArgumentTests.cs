using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text;
using System.Text.Json;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// Notify hooks run by a real `windsock serve` for requests curl sends with hostile SOCKS4 user
/// ids. The hook is a small shell script that records its argv (NUL-separated, exactly as
/// execve gave it) and its standard input, so the test sees what a program like logger or mail
/// would have seen.
/// </summary>
[Trait("Needs", "windsock-serve")]
[SupportedOSPlatform("linux")]
public sealed class HookArgumentTests
{
    private const string Recorder = """
        #!/bin/sh
        # One file per run: the arguments NUL-separated, then standard input; renamed into place when complete.
        out="$(dirname "$0")/run.$$"
        for a in "$@"; do printf '%s\0' "$a"; done > "$out.args"
        cat > "$out.stdin"
        mv "$out.args" "$out.argv"
        """;

    [Theory]
    [InlineData("-f/etc/shadow", "_-f_etc_shadow")]
    [InlineData("--output=/tmp/x", "_--output=_tmp_x")]
    [InlineData("../../../etc/passwd", "_.._.._.._etc_passwd")]
    [InlineData("@/etc/shadow", "_@_etc_shadow")]
    [InlineData("alice", "alice")]
    public async Task A_hostile_user_id_reaches_the_hook_as_a_plain_word_never_an_option_or_a_path(string userId, string expected)
    {
        using var dir = new TempDirectory();
        var (config, _) = await WriteConfigAsync(dir, "text");
        await using var server = await WindsockProcess.StartAsync("--config", config);

        int port = await DeniedRequestAsync(server, userId);

        var argv = await WaitForRunAsync(dir.Path, server);
        Assert.Equal([expected, $"x{expected}", $"--user={expected}", $"/var/log/windsock/{expected}.log", "127.0.0.1", port.ToString(CultureInfo.InvariantCulture)], argv.Arguments);
        // Standard input is the request-log line, in the log's format (text here).
        Assert.StartsWith(DateTime.UtcNow.Year.ToString(CultureInfo.InvariantCulture), argv.Input, StringComparison.Ordinal);
        Assert.Contains(" request session=", argv.Input, StringComparison.Ordinal);
        Assert.Contains($"dest=127.0.0.1:{port}", argv.Input, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_json_logs_the_hook_reads_the_json_line()
    {
        using var dir = new TempDirectory();
        var (config, _) = await WriteConfigAsync(dir, "json");
        await using var server = await WindsockProcess.StartAsync("--config", config);

        int port = await DeniedRequestAsync(server, "-f/etc/shadow");

        var run = await WaitForRunAsync(dir.Path, server);
        using var line = JsonDocument.Parse(run.Input);
        Assert.Equal("request", line.RootElement.GetProperty("event").GetString());
        Assert.Equal("-f/etc/shadow", line.RootElement.GetProperty("user").GetString());
        Assert.Equal($"127.0.0.1:{port}", line.RootElement.GetProperty("dest").GetString());
        // The session's request line in the log names the same session and user.
        long session = line.RootElement.GetProperty("session").GetInt64();
        var logged = await server.WaitForLineAsync(l => l.Contains("\"event\":\"request\"", StringComparison.Ordinal) && l.Contains($"\"session\":{session},", StringComparison.Ordinal), "the session's request line");
        using var loggedLine = JsonDocument.Parse(logged);
        Assert.Equal("-f/etc/shadow", loggedLine.RootElement.GetProperty("user").GetString());
    }

    private static async Task<(string Config, string Hook)> WriteConfigAsync(TempDirectory dir, string logFormat)
    {
        var hook = Path.Combine(dir.Path, "record-argv");
        await File.WriteAllTextAsync(hook, Recorder.Replace("\r", "", StringComparison.Ordinal) + "\n");
        File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var config = Path.Combine(dir.Path, "windsock.toml");
        await File.WriteAllTextAsync(config, $"""
            [server]
            listen = ["127.0.0.1:0"]
            log_format = "{logFormat}"

            [[rule]]
            name = "nothing"
            action = "deny"
            notify = ["{hook} %u x%u --user=%u /var/log/windsock/%u.log %z %s"]
            """);
        return (config, hook);
    }

    /// <summary>A SOCKS4 CONNECT from curl with the user id, to a port nobody listens on; the rule denies it.</summary>
    private static async Task<int> DeniedRequestAsync(WindsockProcess server, string userId)
    {
        using var unused = new TcpListener(IPAddress.Loopback, 0);
        unused.Start();
        int port = ((IPEndPoint)unused.LocalEndpoint).Port;
        var proxy = $"socks4://{Uri.EscapeDataString(userId)}@{Clients.HostPort(server.IPv4)}";
        var curl = await Clients.CurlAsync($"http://127.0.0.1:{port}/", "--proxy", proxy);
        Assert.True(curl.ExitCode != 0, curl.Describe());
        Assert.False(unused.Pending());
        return port;
    }

    private sealed record HookRun(IReadOnlyList<string> Arguments, string Input);

    /// <summary>Waits (bounded, on file system events) for the one run's files, and reads them.</summary>
    private static async Task<HookRun> WaitForRunAsync(string folder, WindsockProcess server)
    {
        var appeared = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var watcher = new FileSystemWatcher(folder, "*.argv") { EnableRaisingEvents = true };
        watcher.Renamed += (_, _) => appeared.TrySetResult();
        watcher.Created += (_, _) => appeared.TrySetResult();
        if (Directory.GetFiles(folder, "*.argv").Length == 0)
        {
            try
            {
                await appeared.Task.WaitAsync(Timeouts.LogLine);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"the hook did not run within {Timeouts.LogLine.TotalSeconds:0}s\n{server.Transcript()}");
            }
        }

        var runs = Directory.GetFiles(folder, "*.argv");
        Assert.Single(runs);
        var bytes = await File.ReadAllBytesAsync(runs[0]);
        var arguments = Encoding.UTF8.GetString(bytes).Split('\0')[..^1];
        var input = await File.ReadAllTextAsync(Path.ChangeExtension(runs[0], ".stdin"));
        return new HookRun(arguments, input);
    }
}
