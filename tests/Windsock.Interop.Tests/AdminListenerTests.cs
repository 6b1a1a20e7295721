using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Windsock.Client;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// The admin listener of a real `windsock serve`: a real Prometheus (Debian's prometheus) scrapes it and is
/// asked for the values a known load produced; headless Chromium (Debian's chromium) renders the status page;
/// `windsock status` lists a live session and ends it.
/// </summary>
[Trait("Needs", "windsock-serve")]
public sealed partial class AdminListenerTests(LoopbackTargets targets)
{
    private const string Chromium = "/usr/bin/chromium";

    private static string Config(ushort deniedPort) => $"""
        [server]
        listen = ["127.0.0.1:0"]

        [admin]
        listen = "127.0.0.1:0"

        [[rule]]
        name = "no port {deniedPort}"
        action = "deny"
        ports = [{deniedPort}]

        [[rule]]
        name = "loopback"
        action = "allow"
        to = ["127.0.0.0/8", "::1"]
        """;

    private static Task<(WindsockProcess Server, Uri Admin, TempDirectory Dir, ushort Denied)> StartAsync() => StartAsync(Config);

    /// <summary>
    /// `windsock serve` with <paramref name="config"/>'s text for a port nothing listens on, which its rules deny;
    /// <paramref name="prepare"/> writes what else the configuration names into its folder first.
    /// </summary>
    private static async Task<(WindsockProcess Server, Uri Admin, TempDirectory Dir, ushort Denied)> StartAsync(Func<ushort, string> config, Func<string, Task>? prepare = null)
    {
        var dir = new TempDirectory();
        ushort denied = FreePort.Closed();
        if (prepare is not null)
        {
            await prepare(dir.Path);
        }

        var path = Path.Combine(dir.Path, "windsock.toml");
        await File.WriteAllTextAsync(path, config(denied), TestContext.Current.CancellationToken);
        var server = await WindsockProcess.StartAsync("--config", path);
        var line = server.StdoutLines.FirstOrDefault(l => l.Contains("admin listener at ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException("no admin listener line\n" + server.Transcript());
        return (server, new Uri(AdminUrl().Match(line).Value), dir, denied);
    }

    [Fact]
    public async Task Prometheus_scrapes_the_counts_of_a_known_load()
    {
        var (server, admin, dir, denied) = await StartAsync();
        await using var _ = server;
        using var __ = dir;
        const int Allowed = 3;
        const int Denied = 2;
        var proxy = Clients.HostPort(server.IPv4);
        for (int i = 0; i < Allowed; i++)
        {
            Expect.Body(await Clients.CurlAsync(targets.Http.Url("127.0.0.1"), "--socks5", proxy), targets.Http, server);
        }

        for (int i = 0; i < Denied; i++)
        {
            var refused = await Clients.CurlAsync($"http://127.0.0.1:{denied}/", "--socks5", proxy);
            Assert.True(refused.ExitCode != 0, refused.Describe());
        }

        // Every session has ended (its end line is written) before Prometheus is asked.
        await server.WaitUntilAsync(lines => lines.Count(l => l.Contains("event=end", StringComparison.Ordinal) || l.Contains(" end ", StringComparison.Ordinal)) >= Allowed + Denied, Timeouts.LogLine, "5 end lines");

        await using var prometheus = StartPrometheus(dir, admin);
        string sessions = "sum(windsock_sessions_total{command=\"connect\",version=\"5\"})";
        Assert.Equal(Allowed + Denied, await prometheus.QueryUntilAsync(sessions, Allowed + Denied));
        Assert.Equal(Denied, await prometheus.QueryUntilAsync($"windsock_denials_total{{rule=\"no port {denied}\"}}", Denied));
        Assert.Equal(Allowed, await prometheus.QueryUntilAsync("windsock_replies_total{version=\"5\",code=\"0\"}", Allowed));
        Assert.Equal(Denied, await prometheus.QueryUntilAsync("windsock_replies_total{version=\"5\",code=\"2\"}", Denied));
        Assert.Equal(Allowed, await prometheus.QueryUntilAsync("windsock_connect_duration_seconds_count{outcome=\"ok\"}", Allowed));
        Assert.Equal(Allowed + Denied, await prometheus.QueryUntilAsync("sum(windsock_authentications_total{method=\"none\",outcome=\"success\"})", Allowed + Denied));
        // Exactly the bytes the HTTP server sent, once per allowed request.
        double down = Allowed * (double)targets.Http.ResponseLength;
        Assert.Equal(down, await prometheus.QueryUntilAsync("windsock_relayed_bytes_total{direction=\"down\"}", down));
    }

    /// <summary>
    /// The instruments the load above leaves alone: a limit hit, a UDP association's datagrams and drops, a BIND
    /// wait, a name the server resolves, the handshake histogram and the bytes up, each counted exactly. Every
    /// rule allows one session at once, so each session ends (its end line is written, its limit released) before
    /// the next starts; the one refusal is the second session the test opens while the first still holds the rule.
    /// </summary>
    [Fact]
    public async Task Prometheus_scrapes_limit_udp_bind_dns_and_handshake_counts_of_a_known_load()
    {
        var (server, admin, dir, denied) = await StartAsync(denied => Config(denied) + "\n\n[limits]\nsessions_per_rule = 1\n");
        await using var _ = server;
        using var __ = dir;
        await using var udpEcho = new UdpEcho(IPAddress.Loopback);
        var token = TestContext.Current.CancellationToken;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(Timeouts.Client);
        var client = new SocksClient(new ProxyHop(server.IPv4));
        int ended = 0;
        Task SessionsEndedAsync(int count) => server.WaitUntilAsync(
            lines => lines.Count(l => l.Contains(" end ", StringComparison.Ordinal)) >= count, Timeouts.LogLine, $"{count} end lines");

        // 1. A limit hit: a second session of the rule "loopback" while the first is open.
        using (var held = await client.ConnectAsync(IPAddress.Loopback, targets.Echo.Port, timeout.Token))
        {
            var refused = await Assert.ThrowsAsync<SocksException>(() => client.ConnectAsync(IPAddress.Loopback, targets.Echo.Port, timeout.Token));
            Assert.True(refused.ReplyCode == 1 && refused.Reason?.Contains("sessions_per_rule=1", StringComparison.Ordinal) == true, refused.ToString());
        }

        await SessionsEndedAsync(ended += 2);

        // 2. A CONNECT by name, resolved by the server ("localhost": /etc/hosts, nothing leaves the machine), bytes up and back.
        byte[] payload = Clients.Payload(1000, seed: 14);
        using (var named = await client.ConnectAsync("localhost", targets.Echo.Port, timeout.Token))
        {
            await named.SendAsync(payload, SocketFlags.None, timeout.Token);
            named.Shutdown(SocketShutdown.Send);
            Assert.Equal(payload, await ReadToEndAsync(named, timeout.Token));
        }

        await SessionsEndedAsync(++ended);
        long up = payload.Length;
        long down = payload.Length;

        // 3. A BIND whose peer arrives, and bytes from the client to that peer.
        byte[] toPeer = "to the peer"u8.ToArray();
        await using (var bind = await client.BindAsync(new IPEndPoint(IPAddress.Loopback, 0), timeout.Token))
        {
            using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await peer.ConnectAsync(bind.ListenEndPoint, timeout.Token);
            using var data = await bind.AcceptAsync(timeout.Token);
            await data.SendAsync(toPeer, SocketFlags.None, timeout.Token);
            data.Shutdown(SocketShutdown.Send);
            Assert.Equal(toPeer, await ReadToEndAsync(peer, timeout.Token));
        }

        await SessionsEndedAsync(++ended);
        up += toPeer.Length;

        // 4. A UDP association: three datagrams echoed, one to the denied port, one from a port of the client's address
        //    the association is not pinned to. The echo of the datagram after them means both were counted.
        await using (var udp = await client.AssociateUdpAsync(timeout.Token))
        {
            var echo = new IPEndPoint(IPAddress.Loopback, udpEcho.Port);
            await UdpRelayExchange.EchoAsync(udp, echo, "one"u8.ToArray(), timeout.Token);
            await udp.SendAsync("to the denied port"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, denied), timeout.Token);
            using (var foreign = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
            {
                foreign.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                byte[] header = [0, 0, 0, 1, 127, 0, 0, 1, (byte)(udpEcho.Port >> 8), (byte)udpEcho.Port];
                byte[] datagram = [.. header, .. "foreign"u8.ToArray()];
                await foreign.SendToAsync(datagram, SocketFlags.None, udp.RelayEndPoint, timeout.Token);
            }

            await UdpRelayExchange.EchoAsync(udp, echo, "two"u8.ToArray(), timeout.Token);
            await UdpRelayExchange.EchoAsync(udp, echo, "three"u8.ToArray(), timeout.Token);
        }

        await SessionsEndedAsync(++ended);
        up += "onetwothree".Length;
        down += "onetwothree".Length;

        await using var prometheus = StartPrometheus(dir, admin);
        Assert.Equal(1, await prometheus.QueryUntilAsync("windsock_limit_hits_total{limit=\"sessions_per_rule\"}", 1));
        Assert.Equal(1, await prometheus.QueryUntilAsync("windsock_replies_total{version=\"5\",code=\"1\"}", 1));
        Assert.Equal(1, await prometheus.QueryUntilAsync("windsock_dns_duration_seconds_count{outcome=\"ok\"}", 1));
        Assert.Equal(1, await prometheus.QueryUntilAsync("windsock_bind_waits_total{outcome=\"peer\"}", 1));
        Assert.Equal(1, await prometheus.QueryUntilAsync("windsock_bind_wait_duration_seconds_count{outcome=\"peer\"}", 1));
        Assert.Equal(3, await prometheus.QueryUntilAsync("windsock_udp_datagrams_total{direction=\"up\"}", 3));
        Assert.Equal(3, await prometheus.QueryUntilAsync("windsock_udp_datagrams_total{direction=\"down\"}", 3));
        Assert.Equal(1, await prometheus.QueryUntilAsync("windsock_udp_drops_total{reason=\"denied\"}", 1));
        Assert.Equal(1, await prometheus.QueryUntilAsync("windsock_udp_drops_total{reason=\"wrong_source_port\"}", 1));
        Assert.Equal(2, await prometheus.QueryUntilAsync("sum(windsock_udp_drops_total)", 2));
        // Every session of the five read its request: the refused one too, which the limit stopped only after.
        Assert.Equal(ended, await prometheus.QueryUntilAsync("windsock_handshake_duration_seconds_count", ended));
        Assert.Equal(ended, await prometheus.QueryUntilAsync("windsock_handshake_duration_seconds_bucket{le=\"+Inf\"}", ended));
        await prometheus.QueryUntilAsync("windsock_handshake_duration_seconds_sum", samples => samples is [{ Value: > 0 }], "a positive sum");
        Assert.Equal(up, await prometheus.QueryUntilAsync("windsock_relayed_bytes_total{direction=\"up\"}", up));
        Assert.Equal(down, await prometheus.QueryUntilAsync("windsock_relayed_bytes_total{direction=\"down\"}", down));
    }

    /// <summary>The page of a server that wants a password: the logged-in user's open session is ranked among the top users.</summary>
    [Fact]
    public async Task Chromium_renders_the_status_page_with_the_live_session_the_denials_and_the_top_users()
    {
        Assert.True(File.Exists(Chromium), "Debian's chromium is not installed (test.sh installs it)");
        const string User = "alice";
        const string Password = "status-Page-1929";
        var (server, admin, dir, denied) = await StartAsync(
            denied => Config(denied) + "\n\n[auth]\nusers_file = \"users\"\n",
            folder => Passwd.AddUserAsync(Path.Combine(folder, "users"), User, Password));
        await using var _ = server;
        using var __ = dir;
        var refused = await Clients.CurlAsync($"http://127.0.0.1:{denied}/", "--socks5", Clients.HostPort(server.IPv4), "--proxy-user", $"{User}:{Password}");
        Assert.True(refused.ExitCode != 0, refused.Describe());
        // The refused session is over (no longer open) before the page is asked for.
        await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal), "the refused session's end line");
        using var live = await OpenEchoSessionAsync(server.IPv4, targets.Echo.Port, (User, Password));

        using var profile = new TempDirectory();
        var dump = await ProcessRunner.RunAsync(Chromium,
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-proxy-server", $"--user-data-dir={profile.Path}", "--dump-dom", admin.ToString(),
        ], timeout: TimeSpan.FromSeconds(60));
        Assert.True(dump.ExitCode == 0, dump.Describe());
        string dom = dump.StdoutText;
        Assert.Contains("<title>Windsock status</title>", dom, StringComparison.Ordinal);
        Assert.Matches("id=\"sessions-active\">1<", dom);
        Assert.Matches("id=\"denials\">1<", dom);
        Assert.Contains($"<td>no port {denied}</td><td class=\"n\">1</td>", dom, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{targets.Echo.Port}", dom, StringComparison.Ordinal);
        Assert.Contains("http-equiv=\"refresh\"", dom, StringComparison.Ordinal);
        // alice: one open session, "hello" up and back (10 bytes); the ended refusal is not ranked.
        var topUsers = TopUsersTable().Match(dom);
        Assert.True(topUsers.Success, dom);
        Assert.Contains($"<tr class=\"user\"><td>{User}</td><td class=\"n\">1</td><td class=\"n\">10</td></tr>", topUsers.Value, StringComparison.Ordinal);
        Assert.Single(UserRow().Matches(topUsers.Value));
    }

    [Fact]
    public async Task Windsock_status_lists_a_live_session_and_ends_it()
    {
        var (server, admin, dir, _) = await StartAsync();
        await using var _server = server;
        using var _dir = dir;
        using var live = await OpenEchoSessionAsync(server.IPv4, targets.Echo.Port);

        var table = await StatusAsync("--admin", admin.Authority, "--command", "connect");
        Assert.True(table.ExitCode == 0, table.Describe());
        var row = table.StdoutText.Split('\n').Single(l => l.Contains($"127.0.0.1:{targets.Echo.Port}", StringComparison.Ordinal));
        string id = row.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        Assert.Contains("loopback", row, StringComparison.Ordinal);
        Assert.Contains("1 open session", table.StdoutText, StringComparison.Ordinal);

        var json = await StatusAsync("--admin", admin.Authority, "--json");
        using (var document = JsonDocument.Parse(json.StdoutText))
        {
            var session = document.RootElement.GetProperty("sessions").EnumerateArray().Single();
            Assert.Equal(long.Parse(id, CultureInfo.InvariantCulture), session.GetProperty("id").GetInt64());
            Assert.Equal("connect", session.GetProperty("command").GetString());
            Assert.Equal(5, session.GetProperty("bytes_up").GetInt64()); // "hello" went up and came back
            Assert.Equal(5, session.GetProperty("bytes_down").GetInt64());
        }

        var filtered = await StatusAsync("--admin", admin.Authority, "--user", "nobody-here");
        Assert.Contains("0 open sessions", filtered.StdoutText, StringComparison.Ordinal);

        var end = await StatusAsync("--admin", admin.Authority, "--end", id);
        Assert.True(end.ExitCode == 0, end.Describe());
        Assert.Equal($"session {id} ended\n", end.StdoutText);

        // The client sees its connection closed, and the end line says who ended it.
        var buffer = new byte[16];
        using var read = new CancellationTokenSource(Timeouts.LogLine);
        Assert.Equal(0, await live.ReceiveAsync(buffer, SocketFlags.None, read.Token));
        await server.WaitForLineAsync(l => l.Contains("ended by the administrator", StringComparison.Ordinal), "the end line of the ended session");

        var again = await StatusAsync("--admin", admin.Authority, "--end", id);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains($"no open session {id}", again.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_non_loopback_admin_listener_without_a_token_is_a_startup_error_with_its_line()
    {
        using var dir = new TempDirectory();
        var config = Path.Combine(dir.Path, "windsock.toml");
        await File.WriteAllTextAsync(config, "[server]\nlisten = [\"127.0.0.1:0\"]\n\n[admin]\nlisten = \"0.0.0.0:9180\"\n", TestContext.Current.CancellationToken);
        var check = await ProcessRunner.RunAsync(Tools.Dotnet, [Tools.WindsockDll, "check", "--config", config], timeout: TimeSpan.FromSeconds(60));
        Assert.Equal(1, check.ExitCode);
        Assert.Contains("windsock.toml:5:10: error: admin.listen \"0.0.0.0:9180\" is not a loopback address", check.Stderr, StringComparison.Ordinal);
        Assert.Contains("token_file", check.Stderr, StringComparison.Ordinal);
    }

    /// <summary>Debian's prometheus scraping the admin listener every second.</summary>
    private static PrometheusServer StartPrometheus(TempDirectory dir, Uri admin) => PrometheusServer.Start(dir.Path, $"""
        global:
          scrape_interval: 1s
        scrape_configs:
          - job_name: windsock
            static_configs:
              - targets: ["{admin.Authority}"]
        """);

    /// <summary>Everything the peer sends until it closes.</summary>
    private static async Task<byte[]> ReadToEndAsync(Socket socket, CancellationToken token)
    {
        using var received = new MemoryStream();
        var buffer = new byte[4096];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, token)) > 0)
        {
            received.Write(buffer, 0, read);
        }

        return received.ToArray();
    }

    private static Task<ProcessResult> StatusAsync(params string[] args) =>
        ProcessRunner.RunAsync(Tools.Dotnet, [Tools.WindsockDll, "status", .. args], timeout: TimeSpan.FromSeconds(60));

    /// <summary>
    /// A SOCKS5 CONNECT to the echo server, "hello" sent and echoed: a session that stays open. With
    /// <paramref name="login"/>, after an RFC 1929 username/password login (written byte by byte here).
    /// </summary>
    private static async Task<Socket> OpenEchoSessionAsync(IPEndPoint proxy, int echoPort, (string User, string Password)? login = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(Timeouts.LogLine);
        await socket.ConnectAsync(proxy, timeout.Token);
        byte[] request = [5, 1, 0, 1, 127, 0, 0, 1, (byte)(echoPort >> 8), (byte)echoPort];
        if (login is var (user, password))
        {
            byte[] name = System.Text.Encoding.UTF8.GetBytes(user);
            byte[] secret = System.Text.Encoding.UTF8.GetBytes(password);
            byte[] greetingLoginRequest = [5, 1, 2, 1, (byte)name.Length, .. name, (byte)secret.Length, .. secret, .. request];
            await socket.SendAsync(greetingLoginRequest, SocketFlags.None, timeout.Token);
            var replies = new byte[2 + 2];
            await ReadExactlyAsync(socket, replies, timeout.Token);
            Assert.Equal(new byte[] { 5, 2, 1, 0 }, replies); // username/password chosen, login accepted
        }
        else
        {
            byte[] greetingRequest = [5, 1, 0, .. request];
            await socket.SendAsync(greetingRequest, SocketFlags.None, timeout.Token);
            var method = new byte[2];
            await ReadExactlyAsync(socket, method, timeout.Token);
            Assert.Equal(new byte[] { 5, 0 }, method);
        }

        await ReadExactlyAsync(socket, new byte[10], timeout.Token);
        await socket.SendAsync("hello"u8.ToArray(), SocketFlags.None, timeout.Token);
        var echoed = new byte[5];
        await ReadExactlyAsync(socket, echoed, timeout.Token);
        Assert.Equal("hello"u8.ToArray(), echoed);
        return socket;
    }

    private static async Task ReadExactlyAsync(Socket socket, byte[] buffer, CancellationToken token)
    {
        int filled = 0;
        while (filled < buffer.Length)
        {
            int read = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, token);
            Assert.NotEqual(0, read);
            filled += read;
        }
    }

    [GeneratedRegex(@"http://[0-9.]+:\d+/")]
    private static partial Regex AdminUrl();

    [GeneratedRegex("<table id=\"top-users\">.*?</table>", RegexOptions.Singleline)]
    private static partial Regex TopUsersTable();

    [GeneratedRegex("<tr class=\"user\">")]
    private static partial Regex UserRow();
}
