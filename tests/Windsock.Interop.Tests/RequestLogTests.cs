using System.Globalization;
using System.Text.Json;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// The request log on stdout: one line when a request is decided, one when the session ends,
/// naming the destination and the bytes. Each test has its own server and its own target port,
/// so the lines can only come from the test's own session.
/// </summary>
[Trait("Needs", "windsock-serve")]
public sealed class RequestLogTests
{
    private const int BodyLength = 1024 * 1024;

    [Theory]
    [InlineData("text")]
    [InlineData("json")]
    public async Task Decided_and_end_lines_name_destination_and_bytes(string format)
    {
        await using var http = new LoopbackHttpServer(BodyLength, seed: 7);
        await using var server = await WindsockProcess.StartAsync("--listen", "127.0.0.1:0", "--log-format", format);

        Expect.Body(await Clients.CurlAsync(http.Url("127.0.0.1"), "--socks5", Clients.HostPort(server.IPv4)), http, server);

        var (decided, end) = await SessionLinesAsync(server, http);
        if (format == "json")
        {
            foreach (var line in new[] { decided, end })
            {
                using var doc = ParseJson(line, server);
                Assert.Equal(JsonValueKind.Object, doc.RootElement.ValueKind);
            }
        }
    }

    [Fact]
    public async Task Authenticated_session_names_the_user_not_the_password()
    {
        using var dir = new TempDirectory();
        var users = Path.Combine(dir.Path, "users");
        await Passwd.AddUserAsync(users, AuthServerFixture.User, AuthServerFixture.Password);
        await using var http = new LoopbackHttpServer(BodyLength, seed: 8);
        await using var server = await WindsockProcess.StartAsync("--listen", "127.0.0.1:0", "--users", users);

        Expect.Body(await Clients.CurlAsync(http.Url("127.0.0.1"), "--socks5", Clients.HostPort(server.IPv4),
            "--proxy-user", $"{AuthServerFixture.User}:{AuthServerFixture.Password}"), http, server);

        var (_, end) = await SessionLinesAsync(server, http);
        Assert.True(end.Contains(AuthServerFixture.User, StringComparison.Ordinal), $"end line should name the user\n{server.Transcript()}");
        Assert.DoesNotContain(server.StdoutLines, l => l.Contains(AuthServerFixture.Password, StringComparison.Ordinal));
    }

    /// <summary>
    /// Waits for the end line (destination 127.0.0.1:port and the exact count of bytes the target
    /// sent: response head plus body), then finds the decided line: an earlier, different line
    /// naming the same destination.
    /// </summary>
    private static async Task<(string Decided, string End)> SessionLinesAsync(WindsockProcess server, LoopbackHttpServer http)
    {
        var port = http.Port;
        bool NamesDestination(string line) =>
            line.Contains("127.0.0.1", StringComparison.Ordinal) && LogWords.HasNumber(line, port);

        var end = await server.WaitForLineAsync(
            line => NamesDestination(line) && LogWords.HasNumber(line, http.ResponseLength),
            $"a session end line naming 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)} and {http.ResponseLength} bytes received");
        var lines = server.StdoutLines;
        var endIndex = IndexOf(lines, end);
        var decidedIndex = -1;
        for (var i = 0; i < endIndex; i++)
        {
            if (NamesDestination(lines[i]))
            {
                decidedIndex = i;
            }
        }
        Assert.True(decidedIndex >= 0, $"no decided line naming 127.0.0.1:{port} before the end line\n{server.Transcript()}");
        return (lines[decidedIndex], end);
    }

    private static int IndexOf(IReadOnlyList<string> lines, string line)
    {
        for (var i = 0; i < lines.Count; i++)
        {
            if (ReferenceEquals(lines[i], line) || lines[i] == line)
            {
                return i;
            }
        }
        return -1;
    }

    private static JsonDocument ParseJson(string line, WindsockProcess server)
    {
        try
        {
            return JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            Assert.Fail($"--log-format json line is not JSON ({e.Message}): {line}\n{server.Transcript()}");
            throw;
        }
    }
}
