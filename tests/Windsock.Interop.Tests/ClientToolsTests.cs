using System.Globalization;
using System.Net;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// `windsock connect` and `windsock forward` against the real `windsock serve`, driven by real
/// programs: ssh (ProxyCommand) to a local sshd, curl through a TCP forward, dig through a UDP
/// forward to dnsmasq, and the routing file's deny / direct / via-with-fallback decisions.
/// </summary>
[Trait("Needs", "windsock-serve")]
public sealed class ClientToolsTests(LoopbackTargets targets, OpenServerFixture fixture) : IClassFixture<OpenServerFixture>
{
    private const string Ssh = TestSshd.Ssh;
    private const string Dig = "/usr/bin/dig";

    private WindsockProcess Server => fixture.Server;

    private string Proxy => $"socks5h://127.0.0.1:{Server.IPv4.Port}";

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static Task<ProcessResult> ConnectAsync(string[] args, byte[]? stdin = null, IReadOnlyDictionary<string, string>? environment = null) =>
        ProcessRunner.RunAsync(Tools.Dotnet, [Tools.WindsockDll, "connect", .. args], stdin: stdin ?? [], environment: environment);

    [Fact]
    public async Task Connect_carries_stdin_and_stdout_byte_exact_with_half_close()
    {
        var payload = Clients.Payload(1024 * 1024, seed: 2201);
        var result = await ConnectAsync(["127.0.0.1", Port(targets.Echo.Port), "--proxy", Proxy], payload);
        Expect.Echoed(result, payload, Server);
        Assert.True(result.Stderr.Length == 0, $"connect printed on stderr without --verbose\n{result.Describe()}");
    }

    [Fact]
    public async Task Connect_through_a_chain_of_two_hops_with_verbose_negotiation()
    {
        var payload = Clients.Payload(64 * 1024, seed: 2202);
        var result = await ConnectAsync(
            ["localhost", Port(targets.Echo.Port), "--proxy", $"socks5h://[::1]:{Server.IPv6.Port}", "--proxy", $"socks4a://127.0.0.1:{Server.IPv4.Port}", "--verbose"],
            payload);
        Expect.Echoed(result, payload, Server);
        Assert.True(result.StderrMentions("(hop 1 of 2)") && result.StderrMentions("(hop 2 of 2)")
                && result.StderrMentions($"CONNECT localhost:{targets.Echo.Port} granted"),
            $"--verbose did not show both hops' negotiation\n{result.Describe()}");
    }

    [Fact]
    public async Task Connect_reports_a_proxy_refusal_in_one_line_with_the_reply_code()
    {
        int closed = FreePort.Closed();
        var result = await ConnectAsync(["127.0.0.1", Port(closed), "--proxy", Proxy]);
        Expect.Refused(result, Server);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"windsock connect: proxy 127.0.0.1:{Server.IPv4.Port} refused: connection refused (reply 5)", result.Stderr.Trim());
    }

    [Fact]
    public async Task Connect_reports_an_unreachable_proxy_in_one_line()
    {
        int closed = FreePort.Closed();
        var result = await ConnectAsync(["127.0.0.1", Port(targets.Echo.Port), "--proxy", $"socks5h://127.0.0.1:{closed}"]);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"windsock connect: cannot reach proxy 127.0.0.1:{closed}: Connection refused", result.Stderr.Trim());
    }

    [Fact]
    public async Task Connect_works_as_ssh_ProxyCommand_to_a_real_sshd()
    {
        Assert.SkipUnless(TestSshd.Installed, "needs Debian's openssh-server and openssh-client (test.sh installs them)");
        using var dir = new TempDirectory();
        var site = await TestSshd.PrepareAsync(dir.Path);
        int port = FreePort.Closed();
        await using var sshd = await site.StartAsync(port);

        string proxyCommand = $"{Tools.Dotnet} {Tools.WindsockDll} connect %h %p --proxy {Proxy}";
        var result = await ProcessRunner.RunAsync(Ssh,
        [
            "-o", $"ProxyCommand={proxyCommand}", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "BatchMode=yes", "-F", "/dev/null", "-i", site.UserKey, "-p", Port(port), "root@127.0.0.1", "echo", "hello",
        ]);
        Assert.True(result.ExitCode == 0 && result.StdoutText == "hello\n", $"{result.Describe()}\n{sshd.Transcript()}\n{Server.Transcript()}");
        await Server.WaitForLineAsync(l => l.Contains($"dest=127.0.0.1:{port}", StringComparison.Ordinal), "the ssh connection in the request log");
    }

    [Fact]
    public async Task Forward_tcp_carries_a_curl_download_byte_exact()
    {
        await using var forward = BackgroundCommand.Start(Tools.Dotnet,
            [Tools.WindsockDll, "forward", "--listen", "127.0.0.1:0", "--to", $"localhost:{targets.Http.Port}", "--proxy", Proxy]);
        int local = (await forward.ListeningEndPointAsync()).Port;
        for (int i = 0; i < 2; i++)
        {
            // Two downloads: the forwarder keeps serving after the first connection ends.
            var curl = await Clients.CurlAsync($"http://127.0.0.1:{local}/");
            Expect.Body(curl, targets.Http, Server);
        }
        await Server.WaitForLineAsync(l => l.Contains($"dest=localhost:{targets.Http.Port}", StringComparison.Ordinal), "the forwarded connection in the request log");
    }

    [Fact]
    public async Task Forward_udp_carries_dig_queries_to_dnsmasq()
    {
        Assert.SkipUnless(File.Exists(Dig), "needs Debian's bind9-dnsutils (dig; test.sh installs it)");
        // The fixture retries on another port when the probed one is taken (dnsmasq binds TCP too).
        await using var dnsmasq = await Dnsmasq.StartAsync("windsock-fwd.test", IPAddress.Parse("192.0.2.8"));
        int dnsPort = dnsmasq.Port;

        await using var forward = BackgroundCommand.Start(Tools.Dotnet,
            [Tools.WindsockDll, "forward", "--udp", "--listen", "127.0.0.1:0", "--to", $"127.0.0.1:{dnsPort}", "--proxy", Proxy]);
        int local = (await forward.ListeningEndPointAsync()).Port;

        var dig = await ProcessRunner.RunAsync(Dig, ["+short", "+time=5", "+tries=3", "@127.0.0.1", "-p", Port(local), "windsock-fwd.test"]);
        Assert.True(dig.ExitCode == 0 && dig.StdoutText.Trim() == "192.0.2.8", $"{dig.Describe()}\n{forward.Transcript()}\n{Server.Transcript()}");
        await Server.WaitForLineAsync(l => l.Contains("command=udp-associate", StringComparison.Ordinal) && l.Contains(" request ", StringComparison.Ordinal),
            "the UDP association in the request log");
    }

    [Fact]
    public async Task Routing_file_denies_goes_direct_and_falls_back_to_the_next_proxy()
    {
        await using var server = await WindsockProcess.StartAsync("--listen", "127.0.0.1:0");
        using var dir = new TempDirectory();
        string file = Path.Combine(dir.Path, "client.toml");
        int closed = FreePort.Closed();
        int echo = targets.Echo.Port;
        await File.WriteAllTextAsync(file, $"""
            [[rule]]
            name = "blocked"
            action = "deny"
            to = ["blocked.test"]

            [[rule]]
            name = "local echo"
            action = "direct"
            to = ["127.0.0.1"]
            ports = [{echo}]

            [[rule]]
            name = "through the proxy"
            action = "via"
            to = ["localhost"]
            proxies = ["socks5h://127.0.0.1:{closed}", "socks5h://127.0.0.1:{server.IPv4.Port}"]
            """);
        var env = new Dictionary<string, string> { ["WINDSOCK_CLIENT_CONFIG"] = file, ["ALL_PROXY"] = $"socks5h://127.0.0.1:{closed}" };
        var payload = Clients.Payload(32 * 1024, seed: 2203);

        var denied = await ConnectAsync(["blocked.test", "80"], payload, env);
        Assert.True(denied.ExitCode == 1 && denied.Stderr.Trim() == $"windsock connect: blocked.test:80 is denied by rule 1 \"blocked\" ({file}:1:1)",
            denied.Describe());

        var unmatched = await ConnectAsync(["example.org", "80"], payload, env);
        Assert.True(unmatched.ExitCode == 1 && unmatched.StderrMentions("no rule in") && unmatched.StderrMentions("no match denies"), unmatched.Describe());

        var direct = await ConnectAsync(["127.0.0.1", Port(echo), "--verbose"], payload, env);
        Expect.Echoed(direct, payload, server);
        Assert.True(direct.StderrMentions("direct (rule 2 \"local echo\"") && direct.StderrMentions("direct TCP connection"), direct.Describe());

        var via = await ConnectAsync(["localhost", Port(echo), "--verbose"], payload, env);
        Expect.Echoed(via, payload, server);
        Assert.True(via.StderrMentions($"socks5h://127.0.0.1:{closed} unreachable") && via.StderrMentions($"trying socks5h://127.0.0.1:{server.IPv4.Port}"),
            via.Describe());
        await server.WaitForLineAsync(l => l.Contains($"dest=localhost:{echo}", StringComparison.Ordinal), "the fallback connection in the request log");
        Assert.DoesNotContain(server.StdoutLines, l => l.Contains($"dest=127.0.0.1:{echo}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_a_routing_file_all_proxy_is_used()
    {
        using var dir = new TempDirectory();
        var env = new Dictionary<string, string>
        {
            ["WINDSOCK_CLIENT_CONFIG"] = "",
            ["HOME"] = dir.Path,
            ["XDG_CONFIG_HOME"] = dir.Path,
            ["ALL_PROXY"] = Proxy,
        };
        Assert.SkipWhen(File.Exists("/etc/windsock/client.toml"), "/etc/windsock/client.toml exists on this machine and takes precedence over ALL_PROXY");
        var payload = Clients.Payload(16 * 1024, seed: 2204);
        var result = await ConnectAsync(["127.0.0.1", Port(targets.Echo.Port), "--verbose"], payload, env);
        Expect.Echoed(result, payload, Server);
        Assert.True(result.StderrMentions("(ALL_PROXY)"), result.Describe());
    }
}
