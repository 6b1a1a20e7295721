using System.Globalization;
using System.Net;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// Destinations given as names against `windsock serve` with real clients, each decided as
/// `windsock check` says (issue 18): UDP datagrams that name a host (PySocks), BIND to a name (node's
/// socks), and names the resolver refuses outright such as "0" (PySocks over TCP and UDP).
/// </summary>
[Trait("Needs", "windsock-serve")]
public sealed class NamePolicyInteropTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private readonly UdpEcho _echo = new(IPAddress.Loopback, IPAddress.IPv6Loopback);

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await _echo.DisposeAsync();
        _dir.Dispose();
    }

    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    private async Task<string> WriteConfigAsync(string rules)
    {
        var config = Path.Combine(_dir.Path, "windsock.toml");
        await File.WriteAllTextAsync(config, "[server]\nlisten = [\"127.0.0.1:0\"]\nallowed_clients = [\"127.0.0.0/8\"]\n\n" + rules, TestContext.Current.CancellationToken);
        return config;
    }

    private static Task<ProcessResult> CheckAsync(string config, params string[] args) =>
        ProcessRunner.RunAsync(Tools.Dotnet, [Tools.WindsockDll, "check", "--config", config, "--from", "127.0.0.1", .. args], timeout: TimeSpan.FromSeconds(60));

    /// <summary>
    /// Sends one datagram to each TARGET in order through one association, each carrying its target as
    /// payload, then prints the first datagram that comes back ("HOST PORT PAYLOAD"). The relay and the echo
    /// keep the order, so a datagram that should have been dropped would be the one printed.
    /// </summary>
    private const string PySocksUdpScript = """
        import socket, sys
        import socks
        phost, pport, tport = sys.argv[1:4]
        s = socks.socksocket(socket.AF_INET, socket.SOCK_DGRAM)
        s.set_proxy(socks.SOCKS5, phost, int(pport), rdns=True)
        s.settimeout(30)
        for target in sys.argv[4:]:
            s.sendto(target.encode(), (target, int(tport)))
        data, (host, port) = s.recvfrom(65535)
        print(host, port, data.decode())
        s.close()
        """;

    private Task<ProcessResult> UdpAsync(WindsockProcess server, params string[] targets) =>
        ProcessRunner.RunAsync(Tools.Python, ["-c", PySocksUdpScript, server.IPv4.Address.ToString(), P(server.IPv4.Port), P(_echo.Port), .. targets]);

    private static Task<string> UdpEndLineAsync(WindsockProcess server) =>
        server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal) && l.Contains("command=udp-associate", StringComparison.Ordinal), "the association's end line");

    [Fact]
    public async Task A_datagram_naming_a_denied_host_is_dropped_as_windsock_check_says()
    {
        var config = await WriteConfigAsync("""
            [[rule]]
            name = "no localhost"
            action = "deny"
            to = ["localhost"]

            [[rule]]
            name = "udp home"
            action = "allow"
            commands = ["udp"]
            to = ["127.0.0.0/8"]
            """);

        var byName = await CheckAsync(config, "--command", "udp", "--to", $"localhost:{_echo.Port}");
        Assert.True(byName.ExitCode == 1 && byName.StdoutText.Contains("verdict: deny", StringComparison.Ordinal)
            && byName.StdoutText.Contains("no localhost", StringComparison.Ordinal), byName.Describe());
        var byAddress = await CheckAsync(config, "--command", "udp", "--to", $"127.0.0.1:{_echo.Port}");
        Assert.True(byAddress.ExitCode == 0 && byAddress.StdoutText.Contains("udp home", StringComparison.Ordinal), byAddress.Describe());

        await using var server = await WindsockProcess.StartAsync("--config", config);
        var result = await UdpAsync(server, "localhost", "127.0.0.1");

        Expect.Success(result, server);
        Assert.True(result.StdoutText.Trim() == $"127.0.0.1 {_echo.Port} 127.0.0.1", $"the datagram naming localhost was relayed\n{result.Describe()}\n{server.Transcript()}");
        var end = await UdpEndLineAsync(server);
        Assert.Contains("datagrams_up=1 datagrams_down=1 dropped=1", end, StringComparison.Ordinal);
        Assert.Contains("drops=\"denied=1\"", end, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_datagram_naming_a_host_goes_to_the_first_address_the_rules_allow_as_windsock_check_says()
    {
        const string Name = "two-addresses.test";
        var hosts = Path.Combine(_dir.Path, "hosts");
        // ::1 comes first (RFC 6724 prefers it), and is the address the rules deny.
        await File.WriteAllTextAsync(hosts, $"127.0.0.1 localhost\n::1 {Name}\n127.0.0.1 {Name}\n", TestContext.Current.CancellationToken);
        var probe = await ProcessRunner.RunAsync(Tools.Unshare, ["--mount", "sh", "-c", "mount --bind \"$0\" /etc/hosts && getent hosts " + Name, hosts], timeout: TimeSpan.FromSeconds(30));
        if (probe.ExitCode != 0)
        {
            Assert.Skip($"cannot make a private mount namespace with its own /etc/hosts here (needs root and unshare --mount)\n{probe.Describe()}");
        }

        var config = await WriteConfigAsync("""
            [[rule]]
            name = "no v6 loopback"
            action = "deny"
            to = ["::1"]

            [[rule]]
            name = "udp home"
            action = "allow"
            commands = ["udp"]
            to = ["127.0.0.0/8"]
            """);

        var check = await CheckAsync(config, "--command", "udp", "--to", $"{Name}:{_echo.Port}", "--address", "::1", "--address", "127.0.0.1");
        Assert.True(check.ExitCode == 0 && check.StdoutText.Contains("the server connects to the first allowed address, 127.0.0.1", StringComparison.Ordinal), check.Describe());

        await using var server = await WindsockProcess.StartAsync(["--config", config], hostsFile: hosts);
        var result = await UdpAsync(server, Name);

        Expect.Success(result, server);
        Assert.True(result.StdoutText.Trim() == $"127.0.0.1 {_echo.Port} {Name}", $"expected the echo from 127.0.0.1\n{result.Describe()}\n{server.Transcript()}");
    }

    [Theory]
    [InlineData(5, "localhost")]
    [InlineData(4, "localhost")] // SOCKS4a
    [InlineData(5, "127.0.0.1")]
    public async Task Bind_to_a_name_is_refused_like_bind_to_its_address(int version, string host)
    {
        var hooks = Path.Combine(_dir.Path, "hooks");
        var config = await WriteConfigAsync($$"""
            [access]
            notify_denied = ["/bin/sh -c 'echo denied %c %Z >> {{hooks}}'"]

            [[rule]]
            name = "no bind home"
            action = "deny"
            commands = ["bind"]
            to = ["127.0.0.0/8"]
            notify = ["/bin/sh -c 'echo rule %c %Z >> {{hooks}}'"]

            [[rule]]
            name = "the rest"
            action = "allow"
            """);

        string[] address = host == "localhost" ? ["--address", "127.0.0.1"] : [];
        var check = await CheckAsync(config, ["--command", "bind", "--to", $"{host}:21", .. address]);
        Assert.True(check.ExitCode == 1 && check.StdoutText.Contains("no bind home", StringComparison.Ordinal), check.Describe());

        await using (var server = await WindsockProcess.StartAsync("--config", config))
        {
            var result = await ProcessRunner.RunAsync(Tools.Node,
                [Path.Combine(Tools.NodeDirectory, "bind.js"), server.IPv4.Address.ToString(), P(server.IPv4.Port), P(version), host, "16"]);

            Assert.True(result.ExitCode == 2 && result.StderrMentions("socks error") && !result.StdoutText.Contains("bound", StringComparison.Ordinal),
                $"BIND should be refused before anything is bound\n{result.Describe()}\n{server.Transcript()}");
            var end = await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal) && l.Contains("command=bind", StringComparison.Ordinal), "the BIND end line");
            Assert.True(end.Contains("no bind home", StringComparison.Ordinal) && end.Contains("announced=- ", StringComparison.Ordinal), end);
        }

        // The server has stopped, and lets queued hooks finish first: each ran exactly once for the one denial.
        Assert.Equal([$"denied bind {host}", $"rule bind {host}"], (await File.ReadAllLinesAsync(hooks, TestContext.Current.CancellationToken)).Order(StringComparer.Ordinal));
    }

    /// <summary>Connects through the proxy with the name sent as is; prints "connected" or PySocks' error text ("Socket error: 0x04: Host unreachable").</summary>
    private const string PySocksConnectScript = """
        import socket, sys
        import socks
        phost, pport, version, host = sys.argv[1:]
        s = socks.socksocket()
        s.set_proxy(socks.SOCKS5 if version == "5" else socks.SOCKS4, phost, int(pport), rdns=True)
        s.settimeout(30)
        try:
            s.connect((host, 80))
            print("connected")
        except socks.ProxyError as e:
            print(e.msg)
        s.close()
        """;

    [Fact]
    public async Task A_name_the_resolver_refuses_is_a_reply_code_and_a_dropped_datagram()
    {
        await using var server = await WindsockProcess.StartAsync("--listen", "127.0.0.1:0");

        foreach (var (version, name, expected) in new[] { ("5", "0", "0x04: Host unreachable"), ("5", "00", "0x04: Host unreachable"), ("4", "0", "0x5b: Request rejected or failed") })
        {
            var connect = await ProcessRunner.RunAsync(Tools.Python, ["-c", PySocksConnectScript, server.IPv4.Address.ToString(), P(server.IPv4.Port), version, name]);
            Assert.True(connect.ExitCode == 0 && connect.StdoutText.Trim().EndsWith(expected, StringComparison.Ordinal), $"SOCKS{version} CONNECT to {name}\n{connect.Describe()}\n{server.Transcript()}");
            await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal) && l.Contains($"dest={name}:80", StringComparison.Ordinal) && l.Contains($"cannot resolve {name}", StringComparison.Ordinal), $"the end line for {name}");
        }

        // A datagram naming "0" is dropped; the association carries on to the next one.
        var udp = await UdpAsync(server, "0", "127.0.0.1");
        Expect.Success(udp, server);
        Assert.True(udp.StdoutText.Trim() == $"127.0.0.1 {_echo.Port} 127.0.0.1", $"{udp.Describe()}\n{server.Transcript()}");
        var end = await UdpEndLineAsync(server);
        Assert.Contains("drops=\"unresolved=1\"", end, StringComparison.Ordinal);
        Assert.Contains("reason=\"control connection closed\"", end, StringComparison.Ordinal);

        // Never "internal error", never a stack trace in the diagnostics.
        var transcript = server.Transcript();
        Assert.DoesNotContain("internal error", transcript, StringComparison.Ordinal);
        Assert.DoesNotContain("failed unexpectedly", transcript, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", transcript, StringComparison.Ordinal);
    }
}
