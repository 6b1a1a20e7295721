using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// One table of requests (versions, users, sources, commands, allowed and denied destinations) decided twice:
/// by <c>windsock check</c> and by a live <c>windsock serve</c> that curl talks to. The verdicts must agree,
/// including the three places check used to disagree with the server: SOCKS4 refused when a users file
/// requires passwords (91), a client <c>allowed_clients</c> closes, and a rule naming a user nobody is.
/// The staff rule names no method, so without the SOCKS4 refusal and allowed_clients in check's decision the
/// SOCKS4, SOCKS4a and 127.0.0.2 rows would say allow there while the server refuses them.
/// </summary>
[Trait("Needs", "windsock-serve")]
public sealed partial class CheckAgreesWithServerTests(LoopbackTargets targets)
{
    [Fact]
    public async Task Check_and_the_running_server_decide_the_same_table_alike()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory();
        using var closed = new TcpListener(IPAddress.Loopback, 0); // a destination the rules refuse
        closed.Start();
        string http = targets.Http.Port.ToString(CultureInfo.InvariantCulture);
        string refused = ((IPEndPoint)closed.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);
        string config = Path.Combine(dir.Path, "windsock.toml");
        await File.WriteAllTextAsync(config, $"""
            [server]
            listen = ["127.0.0.1:0"]
            allowed_clients = ["127.0.0.1/32"]

            [auth]
            users_file = "users"
            groups_file = "groups"

            [[rule]]
            name = "no telnet"
            action = "deny"
            ports = [{refused}]

            [[rule]]
            name = "typo"
            action = "allow"
            users = ["alcie"]
            ports = [{http}]
            commands = ["bind"]

            [[rule]]
            name = "staff web"
            action = "allow"
            groups = ["staff"]
            commands = ["connect"]
            ports = [{http}]
            """, ct);
        await File.WriteAllTextAsync(Path.Combine(dir.Path, "groups"), "staff: alice, bob\n", ct);
        string users = Path.Combine(dir.Path, "users");
        await Passwd.AddUserAsync(users, "alice", "alice-pass");
        await Passwd.AddUserAsync(users, "carol", "carol-pass");

        // The typo is reported where it is, with the name it probably meant.
        var plain = await CheckAsync(config);
        Assert.True(plain.ExitCode == 0, plain.Describe());
        Assert.True(plain.StderrMentions($"{config}:14:1: warning: rule 2 \"typo\""), plain.Describe());
        Assert.True(plain.StderrMentions("names user \"alcie\""), plain.Describe());
        Assert.True(plain.StderrMentions("did you mean \"alice\"?"), plain.Describe());

        await using var server = await WindsockProcess.StartAsync("--config", config);
        string proxy = Clients.HostPort(server.IPv4);
        string url = targets.Http.Url("127.0.0.1");
        string name = targets.Http.Url("localhost");
        Row[] table =
        [
            new("staff over SOCKS5", true, ["--user", "alice", "--from", "127.0.0.1", "--to", $"127.0.0.1:{http}"], ["--socks5", proxy, "--proxy-user", "alice:alice-pass"], url),
            new("staff to a denied port", false, ["--user", "alice", "--from", "127.0.0.1", "--to", $"127.0.0.1:{refused}"], ["--socks5", proxy, "--proxy-user", "alice:alice-pass"], $"http://127.0.0.1:{refused}/"),
            new("not staff", false, ["--user", "carol", "--from", "127.0.0.1", "--to", $"127.0.0.1:{http}"], ["--socks5", proxy, "--proxy-user", "carol:carol-pass"], url),
            new("SOCKS4 where passwords are required", false, ["--socks-version", "4", "--user", "alice", "--from", "127.0.0.1", "--to", $"127.0.0.1:{http}"], ["--socks4", proxy, "--proxy-user", "alice:"], url),
            new("SOCKS4a where passwords are required", false, ["--socks-version", "4a", "--user", "alice", "--from", "127.0.0.1", "--to", $"localhost:{http}"], ["--socks4a", proxy, "--proxy-user", "alice:"], name),
            new("a client allowed_clients closes", false, ["--user", "alice", "--from", "127.0.0.2", "--to", $"127.0.0.1:{http}"], ["--socks5", proxy, "--proxy-user", "alice:alice-pass", "--interface", "127.0.0.2"], url),
        ];

        foreach (var row in table)
        {
            var check = await CheckAsync(config, row.Check);
            Assert.True(check.ExitCode is 0 or 1, check.Describe());
            bool checkAllows = check.ExitCode == 0;

            int before = EndLines(server.StdoutLines).Count();
            var curl = await Clients.CurlAsync(row.Url, row.Curl);
            await server.WaitUntilAsync(lines => EndLines(lines).Count() > before, TimeSpan.FromSeconds(20), $"the end line of \"{row.Name}\"");
            string end = EndLines(server.StdoutLines).Last();
            string reply = Reply().Match(end).Groups[1].Value;
            bool serverAllows = reply is "0" or "90";

            Assert.True(row.Allowed == checkAllows, $"{row.Name}: check says {(checkAllows ? "allow" : "deny")}\n{check.Describe()}");
            Assert.True(row.Allowed == serverAllows, $"{row.Name}: the server says {(serverAllows ? "allow" : "deny")} (reply={reply})\n{end}\n{server.Transcript()}");
            Assert.True(row.Allowed == (curl.ExitCode == 0), $"{row.Name}: curl\n{curl.Describe()}");
        }

        // Check names the reasons the server gives.
        var socks4 = await CheckAsync(config, "--socks-version", "4", "--user", "alice", "--from", "127.0.0.1", "--to", $"127.0.0.1:{http}");
        Assert.Contains("SOCKS4 refused: the server requires username/password", socks4.StdoutText, StringComparison.Ordinal);
        var stranger = await CheckAsync(config, "--from", "127.0.0.2", "--to", $"127.0.0.1:{http}");
        Assert.Contains("verdict: deny (client address not allowed)", stranger.StdoutText, StringComparison.Ordinal);
        Assert.Contains(server.StdoutLines, l => l.Contains("client=127.0.0.2:", StringComparison.Ordinal) && l.Contains("\"client address not allowed\"", StringComparison.Ordinal));
    }

    private sealed record Row(string Name, bool Allowed, string[] Check, string[] Curl, string Url);

    private static Task<ProcessResult> CheckAsync(string config, params string[] args) =>
        ProcessRunner.RunAsync(Tools.Dotnet, [Tools.WindsockDll, "check", "--config", config, .. args], timeout: TimeSpan.FromSeconds(60));

    private static IEnumerable<string> EndLines(IEnumerable<string> lines) => lines.Where(l => l.Contains(" end session=", StringComparison.Ordinal));

    [GeneratedRegex(@" reply=(\S+)")]
    private static partial Regex Reply();
}
