using System.Net;
using System.Net.Sockets;
using System.Text;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// NEC's PING / TRACEROUTE against the real `windsock serve` on loopback: `windsock ping` and `windsock traceroute`
/// counting real replies from 127.0.0.1 and ::1, a rule's denial with its reason, the [ping] limits, a client that
/// disconnects mid-run (the server keeps no probe socket), and the raw wire shape an old NEC client would send.
/// </summary>
[Trait("Needs", "windsock-serve")]
public sealed class PingInteropTests : IAsyncLifetime
{
    private const string DeniedTarget = "127.0.0.2";
    private const string DenyReason = "pinging 127.0.0.2 is not allowed here";

    private readonly TempDirectory _dir = new();
    private WindsockProcess? _server;

    private WindsockProcess Server => _server!;

    private string ConfigPath => Path.Combine(_dir.Path, "windsock.toml");

    private string Proxy => $"socks5h://127.0.0.1:{Server.IPv4.Port}";

    public async ValueTask InitializeAsync()
    {
        var config = ConfigPath;
        await File.WriteAllTextAsync(config, $"""
            [server]
            listen = ["127.0.0.1:0", "[::1]:0"]
            allowed_clients = ["127.0.0.0/8", "::1/128"]

            [ping]
            max_count = 5
            max_rate = 20
            max_sessions_per_user = 1

            [[rule]]
            name = "no ping to .2"
            action = "deny"
            commands = ["ping", "traceroute"]
            to = ["{DeniedTarget}/32"]
            reason = "{DenyReason}"

            [[rule]]
            name = "loopback"
            action = "allow"
            from = ["127.0.0.0/8", "::1/128"]
            """, TestContext.Current.CancellationToken);
        _server = await WindsockProcess.StartAsync("--config", config);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _dir.Dispose();
    }

    private static Task<ProcessResult> WindsockAsync(params string[] args) =>
        ProcessRunner.RunAsync(Tools.Dotnet, [Tools.WindsockDll, .. args], timeout: TimeSpan.FromSeconds(60));

    private Task<string> EndLineAsync(string command, string dest) =>
        Server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal) && l.Contains($"command={command} dest={dest}", StringComparison.Ordinal), $"the {command} end line for {dest}");

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1:0")]
    [InlineData("::1", "[::1]:0")]
    public async Task Ping_counts_real_replies_and_logs_the_run(string target, string logged)
    {
        var result = await WindsockAsync("ping", "--count", "3", "-i", "0.1", "--proxy", Proxy, target);
        Assert.True(result.ExitCode == 0, result.Describe() + Server.Transcript());
        var lines = result.StdoutText.Split('\n');
        Assert.StartsWith($"PING {target} ({target})", lines[0], StringComparison.Ordinal);
        Assert.Equal(3, lines.Count(l => l.StartsWith($"64 bytes from {target}: icmp_seq=", StringComparison.Ordinal)));
        Assert.Contains("3 packets transmitted, 3 received, 0% packet loss", result.StdoutText, StringComparison.Ordinal);
        Assert.Contains("rtt min/avg/max/mdev = ", result.StdoutText, StringComparison.Ordinal);

        await Server.WaitForLineAsync(l => l.Contains(" request ", StringComparison.Ordinal) && l.Contains($"command=ping dest={logged}", StringComparison.Ordinal) && l.Contains("reply=0", StringComparison.Ordinal), "the decision line");
        var end = await EndLineAsync("ping", logged);
        Assert.Contains($"reason=\"ping {target}: sent 3, answered 3, rtt min/avg/max ", end, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_output_has_one_object_per_result_line()
    {
        var result = await WindsockAsync("ping", "--count", "2", "-i", "0.1", "--json", "--proxy", Proxy, "::1");
        Assert.True(result.ExitCode == 0, result.Describe());
        var lines = result.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("{\"type\":\"start\",\"target\":\"::1\"}", lines[0]);
        Assert.Equal(2, lines.Count(l => l.StartsWith("{\"type\":\"reply\",\"seq\":", StringComparison.Ordinal) && l.Contains("\"from\":\"::1\"", StringComparison.Ordinal)));
        Assert.StartsWith("{\"type\":\"summary\",\"sent\":2,\"received\":2,", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Traceroute_of_loopback_reaches_it_in_one_hop_over_udp_and_icmp()
    {
        foreach (var kind in (string[])["--udp", "--icmp"])
        {
            var result = await WindsockAsync("traceroute", "-m", "2", "-q", "2", kind, "--proxy", Proxy, "127.0.0.1");
            Assert.True(result.ExitCode == 0, result.Describe());
            var hops = result.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1..];
            Assert.Single(hops);
            Assert.Matches(@"^ 1  127\.0\.0\.1  [0-9.]+ ms  [0-9.]+ ms$", hops[0]);
        }
    }

    [Fact]
    public async Task A_rule_denies_with_its_reason()
    {
        var result = await WindsockAsync("ping", "--count", "1", "--proxy", Proxy, DeniedTarget);
        Assert.True(result.ExitCode == 2 && result.Stderr.Contains(DenyReason, StringComparison.Ordinal), result.Describe());
        Assert.DoesNotContain("bytes from", result.StdoutText, StringComparison.Ordinal);
        var end = await EndLineAsync("ping", $"{DeniedTarget}:0");
        Assert.Contains("reply=2", end, StringComparison.Ordinal);
        Assert.Contains($"denied: ", end, StringComparison.Ordinal);

        // windsock check explains the same decision from the same rules.
        var check = await WindsockAsync("check", "--config", ConfigPath, "--from", "127.0.0.1", "--command", "ping", "--to", $"{DeniedTarget}:0");
        Assert.True(check.ExitCode == 1 && check.StdoutText.Contains("verdict: deny", StringComparison.Ordinal) && check.StdoutText.Contains("no ping to .2", StringComparison.Ordinal), check.Describe());
        var allowed = await WindsockAsync("check", "--config", ConfigPath, "--from", "127.0.0.1", "--command", "traceroute", "--to", "127.0.0.1:0");
        Assert.True(allowed.ExitCode == 0 && allowed.StdoutText.Contains("loopback", StringComparison.Ordinal), allowed.Describe());
    }

    [Theory]
    [InlineData("--count", "6", "count 6 is above the server's limit of 5 probes (ping.max_count)")]
    [InlineData("-i", "0.01", "interval 0.01s is below the server's minimum of 0.05s (ping.max_rate = 20 probes per second)")]
    public async Task Limits_refuse_with_the_reason(string option, string value, string reason)
    {
        var result = await WindsockAsync("ping", option, value, "--proxy", Proxy, "127.0.0.1");
        Assert.True(result.ExitCode == 2 && result.Stderr.Contains(reason, StringComparison.Ordinal), result.Describe());
    }

    [Fact]
    public async Task Until_stopped_ends_at_max_count_and_says_so()
    {
        var result = await WindsockAsync("ping", "-i", "0.05", "--proxy", Proxy, "127.0.0.1");
        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Contains("the proxy stopped: stopped after 5 probes, the server's limit (ping.max_count)", result.StdoutText, StringComparison.Ordinal);
        Assert.Contains("5 packets transmitted, 5 received", result.StdoutText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_old_client_without_options_gets_lines_and_ends_with_one_byte()
    {
        using var client = await OpenAsync();
        // NEC's shape: RSV 0, no options; the server pings at its defaults until the byte.
        await client.SendAsync(Request(0x80, 0x00, IPAddress.Loopback));
        var reply = await ReadExactlyAsync(client, 10);
        Assert.Equal(new byte[] { 5, 0, 0, 1, 127, 0, 0, 1, 0, 0 }, reply);
        var first = await ReadLineAsync(client);
        Assert.StartsWith("reply seq=1 from=127.0.0.1 bytes=64 ttl=", first, StringComparison.Ordinal);

        await client.SendAsync(new byte[] { 0x00 });
        string rest = await ReadToEndAsync(client);
        var summary = rest.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        Assert.StartsWith("summary sent=", summary, StringComparison.Ordinal);
        var end = await EndLineAsync("ping", "127.0.0.1:0");
        Assert.Contains("stopped by the client's end byte", end, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_that_disconnects_mid_run_leaves_no_probe_socket_and_frees_its_slot()
    {
        int before = ProbeSocketsOf(Server.Pid);
        using (var client = await OpenAsync())
        {
            await client.SendAsync(Request(0x80, 0x01, IPAddress.Loopback, "options interval=1\n"));
            await ReadExactlyAsync(client, 10);
            Assert.StartsWith("reply seq=1", await ReadLineAsync(client), StringComparison.Ordinal);
            Assert.Equal(before + 1, ProbeSocketsOf(Server.Pid));

            // The one slot (max_sessions_per_user = 1) is taken: a second run from the same address is refused.
            var second = await WindsockAsync("ping", "--count", "1", "--proxy", Proxy, "127.0.0.1");
            Assert.True(second.ExitCode == 2 && second.Stderr.Contains("already runs 1 ping/traceroute sessions (ping.max_sessions_per_user)", StringComparison.Ordinal), second.Describe());
            client.Close();
        }

        await Server.WaitForLineAsync(l => l.Contains(" end session=1 ", StringComparison.Ordinal) && l.Contains("; closed by the client\"", StringComparison.Ordinal), "the first run's end line");
        Assert.Equal(before, ProbeSocketsOf(Server.Pid));
        var again = await WindsockAsync("ping", "--count", "1", "--proxy", Proxy, "127.0.0.1");
        Assert.True(again.ExitCode == 0, again.Describe());
    }

    [Fact]
    public async Task Bad_options_are_refused_with_a_reason()
    {
        using var client = await OpenAsync(wantReason: true);
        await client.SendAsync(Request(0x80, 0x01, IPAddress.Loopback, "options colour=red\n"));
        var reply = await ReadExactlyAsync(client, 10);
        Assert.Equal(1, reply[1]);
        var reason = await ReadToEndAsync(client);
        Assert.Contains("bad ping options: unknown option 'colour' for ping", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tshark_decodes_a_captured_session_as_socks_ping_results()
    {
        const string Tshark = "/usr/bin/tshark";
        Assert.SkipUnless(File.Exists(Tshark), "needs Debian's tshark (apt-get install tshark)");
        int port = Server.IPv4.Port;
        string text;
        // Decoded live ("Decode As" socks on the server's port), line-buffered: the summary line ends the wait.
        await using (var tshark = BackgroundCommand.Start(Tshark, ["-l", "-i", "lo", "-f", $"tcp port {port}", "-d", $"tcp.port=={port},socks", "-V"]))
        {
            await tshark.WaitForLineAsync(l => l.Contains("Capturing on", StringComparison.Ordinal), "tshark capturing");
            var result = await WindsockAsync("ping", "--count", "2", "-i", "0.2", "--proxy", Proxy, "127.0.0.1");
            Assert.True(result.ExitCode == 0, result.Describe());
            await tshark.WaitForLineAsync(l => l.Contains("summary sent=2 received=2 ", StringComparison.Ordinal), "the decoded summary line");
            text = tshark.Transcript();
        }

        Assert.Contains("Command: Ping (128)", text, StringComparison.Ordinal);
        Assert.Contains("Results(V5): Succeeded (0)", text, StringComparison.Ordinal);
        Assert.Matches(@"Ping Results\s+\S*\s*reply seq=1 from=127\.0\.0\.1 bytes=64 ttl=64 rtt_ms=", text);
    }

    /// <summary>ICMP and UDP probe sockets the process holds: its fds' socket inodes found in /proc/net/{raw,raw6,icmp,icmp6,udp,udp6}.</summary>
    internal static int ProbeSocketsOf(int pid)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var fd in Directory.EnumerateFiles($"/proc/{pid}/fd"))
        {
            try
            {
                var target = new FileInfo(fd).LinkTarget;
                if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
                {
                    inodes.Add(target[8..^1]);
                }
            }
            catch (IOException)
            {
            }
        }

        int count = 0;
        foreach (var table in (string[])["raw", "raw6", "icmp", "icmp6"])
        {
            var path = $"/proc/{pid}/net/{table}";
            if (!File.Exists(path))
            {
                continue;
            }

            foreach (var line in File.ReadLines(path).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                // The inode is the tenth column in these tables.
                if (fields.Length > 9 && inodes.Contains(fields[9]))
                {
                    count++;
                }
            }
        }

        return count;
    }

    private async Task<Socket> OpenAsync(bool wantReason = false)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(Server.IPv4, TestContext.Current.CancellationToken);
        await socket.SendAsync(wantReason ? new byte[] { 5, 2, 0, 0xE5 } : new byte[] { 5, 1, 0 });
        Assert.Equal(new byte[] { 5, 0 }, await ReadExactlyAsync(socket, 2));
        return socket;
    }

    private static byte[] Request(byte command, byte rsv, IPAddress target, string options = "") =>
        [5, command, rsv, target.AddressFamily == AddressFamily.InterNetwork ? (byte)1 : (byte)4, .. target.GetAddressBytes(), 0, 0, .. Encoding.ASCII.GetBytes(options)];

    private static async Task<byte[]> ReadExactlyAsync(Socket socket, int count)
    {
        using var timeout = new CancellationTokenSource(Timeouts.LogLine);
        var buffer = new byte[count];
        int read = 0;
        while (read < count)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, timeout.Token);
            Assert.True(n > 0, $"closed after {read} of {count} bytes");
            read += n;
        }

        return buffer;
    }

    private static async Task<string> ReadLineAsync(Socket socket)
    {
        var line = new StringBuilder();
        while (true)
        {
            var b = await ReadExactlyAsync(socket, 1);
            if (b[0] == '\n')
            {
                return line.ToString();
            }

            line.Append((char)b[0]);
        }
    }

    private static async Task<string> ReadToEndAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(Timeouts.LogLine);
        var all = new MemoryStream();
        var buffer = new byte[4096];
        while (true)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            if (n == 0)
            {
                return Encoding.ASCII.GetString(all.ToArray());
            }

            all.Write(buffer, 0, n);
        }
    }
}
