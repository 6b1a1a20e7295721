using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// The handbook's example site (examples/handbook-site.toml) loaded, checked and enforced with real
/// clients. Only what cannot exist on a test machine is rewritten: the site's addresses become
/// loopback, the well-known ports become the test targets' free ports, and mail to root becomes a
/// hook that writes a file. Every rule and its order stay as shipped.
/// </summary>
[Trait("Needs", "windsock-serve")]
public sealed class HandbookSiteTests(LoopbackTargets targets)
{
    [Fact]
    public async Task Staff_reach_the_web_telnet_is_refused_udp_only_to_the_resolver_and_denials_are_reported()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory();
        using var telnet = new TcpListener(IPAddress.Loopback, 0); // a "telnet server" nobody may reach
        telnet.Start();
        int telnetPort = ((IPEndPoint)telnet.LocalEndpoint).Port;
        var mailbox = Path.Combine(dir.Path, "mailbox");
        string P(int port) => port.ToString(CultureInfo.InvariantCulture);

        var shipped = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "examples", "handbook-site.toml"), ct);
        var site = shipped
            .Replace("listen = [\"192.0.2.1:1080\"]", "listen = [\"127.0.0.1:0\"]", StringComparison.Ordinal)
            .Replace("allowed_clients = [\"192.0.2.0/24\"]", "allowed_clients = [\"127.0.0.0/8\"]", StringComparison.Ordinal)
            .Replace("to = [\"192.0.2.53\"]", "to = [\"127.0.0.1\"]", StringComparison.Ordinal)
            .Replace("ports = [\"domain\"]", $"ports = [{P(targets.Echo.Port)}]", StringComparison.Ordinal)
            .Replace("ports = [\"telnet\"]", $"ports = [{P(telnetPort)}]", StringComparison.Ordinal)
            .Replace("ports = [\"http\", \"https\", \"smtp\", \"submission\", \"imaps\", \"pop3s\"]", $"ports = [{P(targets.Http.Port)}]", StringComparison.Ordinal)
            .Replace("notify_denied = [\"/usr/bin/mail -s 'windsock: %u@%a denied %Z:%s' root\"]", $"notify_denied = [\"/bin/sh -c 'echo \\\"%u@%a denied %Z:%s\\\" >> {mailbox}'\"]", StringComparison.Ordinal);
        Assert.NotEqual(shipped, site);
        Assert.DoesNotContain("192.0.2.", string.Join('\n', site.Split('\n').Where(l => !l.TrimStart().StartsWith('#'))), StringComparison.Ordinal);
        var config = Path.Combine(dir.Path, "windsock.toml");
        await File.WriteAllTextAsync(config, site, ct);
        await File.WriteAllTextAsync(Path.Combine(dir.Path, "groups"), "staff: alice, bob\n", ct);
        var users = Path.Combine(dir.Path, "users");
        await Passwd.AddUserAsync(users, "alice", "alice-pass");
        await Passwd.AddUserAsync(users, "carol", "carol-pass");

        // windsock check agrees with what the server will do.
        var webCheck = await Check(config, "--user", "alice", "--method", "username", "--from", "127.0.0.1", "--to", $"127.0.0.1:{targets.Http.Port}", "--command", "connect");
        Assert.True(webCheck.ExitCode == 0, webCheck.Describe());
        Assert.Contains("staff web and mail", webCheck.StdoutText, StringComparison.Ordinal);
        var telnetCheck = await Check(config, "--user", "alice", "--method", "username", "--from", "127.0.0.1", "--to", $"127.0.0.1:{telnetPort}", "--command", "connect");
        Assert.True(telnetCheck.ExitCode == 1, telnetCheck.Describe());
        Assert.Contains("no telnet", telnetCheck.StdoutText, StringComparison.Ordinal);

        await using var server = await WindsockProcess.StartAsync("--config", config);
        var proxy = Clients.HostPort(server.IPv4);
        var web = targets.Http.Url("127.0.0.1");

        // Staff reach the web.
        Expect.Body(await Clients.CurlAsync(web, "--socks5", proxy, "--proxy-user", "alice:alice-pass"), targets.Http, server);

        // Someone who is not staff is denied by default, and root hears of it.
        var carol = await Clients.CurlAsync(web, "--socks5", proxy, "--proxy-user", "carol:carol-pass");
        Assert.True(carol.ExitCode != 0, carol.Describe());
        await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal) && l.Contains("user=carol", StringComparison.Ordinal) && l.Contains("no rule matched", StringComparison.Ordinal), "carol's default denial");

        // Nobody telnets out: the rule answers "connection refused" and the port never sees a connection.
        var telnetTry = await Clients.CurlAsync($"telnet://127.0.0.1:{telnetPort}", "--socks5", proxy, "--proxy-user", "alice:alice-pass");
        Assert.True(telnetTry.ExitCode != 0, telnetTry.Describe());
        await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal) && l.Contains("reply=5", StringComparison.Ordinal) && l.Contains("no telnet", StringComparison.Ordinal), "the telnet refusal");
        Assert.False(telnet.Pending());

        // UDP reaches the resolver and nothing else.
        var resolver = await Udp("alice", "alice-pass", server, targets.Echo.Port);
        Assert.True(resolver.ExitCode == 0 && resolver.StdoutText.Contains("answer", StringComparison.Ordinal), resolver.Describe());
        using var other = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var elsewhere = await Udp("alice", "alice-pass", server, ((IPEndPoint)other.Client.LocalEndPoint!).Port);
        Assert.True(elsewhere.StdoutText.Contains("no answer", StringComparison.Ordinal), elsewhere.Describe());
        Assert.Equal(0, other.Available);

        // Every denial was "mailed to root".
        await WaitForFileAsync(mailbox, text => text.Contains("carol@127.0.0.1", StringComparison.Ordinal) && text.Contains($":{telnetPort}", StringComparison.Ordinal));
    }

    private static Task<ProcessResult> Check(string config, params string[] args) =>
        ProcessRunner.RunAsync(Tools.Dotnet, [Tools.WindsockDll, "check", "--config", config, .. args], timeout: TimeSpan.FromSeconds(60));

    private static Task<ProcessResult> Udp(string user, string password, WindsockProcess server, int port) =>
        ProcessRunner.RunAsync(Tools.Python, ["-c", UdpScript, server.IPv4.Address.ToString(), server.IPv4.Port.ToString(CultureInfo.InvariantCulture), user, password, port.ToString(CultureInfo.InvariantCulture)]);

    private const string UdpScript = """
        import socket, sys
        import socks
        phost, pport, user, password, tport = sys.argv[1:]
        s = socks.socksocket(socket.AF_INET, socket.SOCK_DGRAM)
        s.set_proxy(socks.SOCKS5, phost, int(pport), username=user, password=password)
        s.settimeout(3)
        s.sendto(b"handbook-udp", ("127.0.0.1", int(tport)))
        try:
            data, _ = s.recvfrom(65535)
            print("answer", data.decode())
        except socket.timeout:
            print("no answer")
        s.close()
        """;

    private static async Task WaitForFileAsync(string path, Func<string, bool> done)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            if (File.Exists(path) && done(await File.ReadAllTextAsync(path, patience.Token)))
            {
                return;
            }

            await Task.Delay(50, patience.Token);
        }
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Windsock.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("repository root not found");
    }
}
