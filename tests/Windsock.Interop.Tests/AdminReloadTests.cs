using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// [admin] on SIGHUP, against a real `windsock serve`: a new address and token file take effect (the new
/// listener bound before the old one closes, the metrics counted so far carried over), a rotated token at the
/// same address takes effect, and an address that cannot be bound fails the reload and keeps the old listener.
/// </summary>
[Trait("Needs", "windsock-serve")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class AdminReloadTests(LoopbackTargets targets)
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(20) };

    private static string Config(string adminListen, string? tokenFile) => $"""
        [server]
        listen = ["127.0.0.1:0"]

        [admin]
        listen = "{adminListen}"
        {(tokenFile is null ? "" : $"token_file = \"{tokenFile}\"")}
        """;

    [Fact]
    public async Task Sighup_moves_the_admin_listener_rotates_its_token_and_a_failed_bind_keeps_the_old_one()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory();
        var config = Path.Combine(dir.Path, "windsock.toml");
        var tokenFile = Path.Combine(dir.Path, "admin-token");
        await File.WriteAllTextAsync(config, Config("127.0.0.1:0", null), ct);
        await using var server = await WindsockProcess.StartAsync("--config", config);
        var first = AdminUri(server, 1);
        Expect.Body(await Clients.CurlAsync(targets.Http.Url("127.0.0.1"), "--socks5", Clients.HostPort(server.IPv4)), targets.Http, server);
        await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal), "the session's end line");
        Assert.Equal(1, Value(await MetricsAsync(first, null), "windsock_sessions_total"));

        // A new address (another loopback address) with a token file.
        await WriteTokenAsync(tokenFile, "first-token-0123456789", ct);
        await File.WriteAllTextAsync(config, Config("127.0.0.2:0", tokenFile), ct);
        server.Hangup();
        await WaitForReloadsAsync(server, "configuration reloaded", 1);
        var moved = AdminUri(server, 2);
        Assert.Equal("127.0.0.2", moved.Host);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(moved, null)).StatusCode);
        var metrics = await MetricsAsync(moved, "first-token-0123456789");
        Assert.Equal(1, Value(metrics, "windsock_sessions_total")); // counted before the move, still there
        Assert.Equal(1, Value(metrics, "windsock_reloads_total{outcome=\"ok\"}"));
        await AssertClosedAsync(first);

        // The same address, a rotated token: the old one is refused, the new one served.
        await WriteTokenAsync(tokenFile, "second-token-0123456789", ct);
        server.Hangup();
        await WaitForReloadsAsync(server, "configuration reloaded", 2);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(moved, "first-token-0123456789")).StatusCode);
        Assert.Equal(2, Value(await MetricsAsync(moved, "second-token-0123456789"), "windsock_reloads_total{outcome=\"ok\"}"));

        // An address another socket holds: the reload fails as a whole, the old listener keeps serving.
        using var squatter = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        squatter.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        squatter.Listen(1);
        await File.WriteAllTextAsync(config, Config(squatter.LocalEndPoint!.ToString()!, tokenFile), ct);
        server.Hangup();
        await WaitForReloadsAsync(server, "reload failed", 1);
        var failed = server.StdoutLines.Last(l => l.Contains("reload failed", StringComparison.Ordinal));
        Assert.Contains($"admin listener: cannot listen on {squatter.LocalEndPoint}", failed, StringComparison.Ordinal);
        var after = await MetricsAsync(moved, "second-token-0123456789");
        Assert.Equal(1, Value(after, "windsock_reloads_total{outcome=\"failed\"}"));
        Assert.Equal(2, Value(after, "windsock_reloads_total{outcome=\"ok\"}"));
    }

    private static async Task WriteTokenAsync(string path, string token, CancellationToken ct)
    {
        await File.WriteAllTextAsync(path, token + "\n", ct);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    private static Task WaitForReloadsAsync(WindsockProcess server, string marker, int count) =>
        server.WaitUntilAsync(lines => lines.Count(l => l.Contains(marker, StringComparison.Ordinal)) >= count, Timeouts.LogLine, $"{count} \"{marker}\" lines");

    /// <summary>The address of the <paramref name="nth"/> "admin listener at" line.</summary>
    private static Uri AdminUri(WindsockProcess server, int nth)
    {
        var lines = server.StdoutLines.Where(l => l.Contains("admin listener at ", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count >= nth, $"expected {nth} admin listener lines\n{server.Transcript()}");
        return new Uri(AdminUrl().Match(lines[nth - 1]).Value);
    }

    private static async Task<HttpResponseMessage> GetAsync(Uri admin, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(admin, "metrics"));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await Http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static async Task<string> MetricsAsync(Uri admin, string? token)
    {
        using var response = await GetAsync(admin, token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>The sum of every series whose name and labels start with <paramref name="series"/>.</summary>
    private static double Value(string metrics, string series)
    {
        string prefix = series.EndsWith('}') ? series[..^1] : series;
        return metrics.Split('\n')
            .Where(l => l.StartsWith(prefix, StringComparison.Ordinal) && (l.Length > prefix.Length && (l[prefix.Length] is ' ' or '{' or ',' or '}')))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }

    private static async Task AssertClosedAsync(Uri admin)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var error = await Assert.ThrowsAsync<SocketException>(async () => await socket.ConnectAsync(IPAddress.Parse(admin.Host), admin.Port, TestContext.Current.CancellationToken));
        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
    }

    [GeneratedRegex(@"http://[0-9.]+:\d+/")]
    private static partial Regex AdminUrl();
}
