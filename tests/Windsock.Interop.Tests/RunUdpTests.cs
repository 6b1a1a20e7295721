using System.Globalization;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>UDP through the proxy (SOCKS5 UDP ASSOCIATE) under the preload, in the leak-proof setting of <see cref="RunFixture"/>.</summary>
public sealed partial class RunTests
{
    [Fact]
    public async Task Python_udp_by_name_goes_through_UDP_ASSOCIATE_unconnected_and_connected()
    {
        await using var echo = BackgroundCommand.Start(Tools.Ip, ["netns", "exec", fixture.Namespaces.Proxy, Tools.Python, "-u", "-c", """
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            print("listening", s.getsockname()[1])
            while True:
                data, peer = s.recvfrom(65535)
                s.sendto(b"echo:" + data, peer)
            """]);
        string line = await echo.WaitForLineAsync(l => l.StartsWith("listening ", StringComparison.Ordinal), "the echo's line");
        int port = int.Parse(line["listening ".Length..], CultureInfo.InvariantCulture);

        string script = $$"""
            import socket
            a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            a.settimeout(20)
            a.sendto(b"one", ("{{RunFixture.SiteName}}", {{port}}))
            data, sender = a.recvfrom(4096)
            print(data.decode(), sender[1])
            b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            b.settimeout(20)
            b.connect(("{{RunFixture.SiteName}}", {{port}}))
            b.send(b"two")
            print(b.recv(4096).decode(), b.getpeername()[1])
            """;
        ProcessResult python = await fixture.WindsockRunAsync(["--proxy", fixture.Proxy, "--", Tools.Python, "-c", script]);

        Assert.True(python.ExitCode == 0 && python.StdoutText == $"echo:one {port}\necho:two {port}\n", $"{python.Describe()}\n{echo.Transcript()}\n{fixture.Server.Transcript()}");
        await fixture.Server.WaitUntilAsync(
            lines => lines.Count(l => l.Contains("command=udp-associate", StringComparison.Ordinal) && l.Contains($"client={NetworkNamespacePair.ClientAddress}:", StringComparison.Ordinal)) >= 2,
            Timeouts.LogLine, "two UDP associations from the client side");
    }

    [Fact]
    public async Task Dig_over_udp_asks_a_resolver_only_the_proxy_side_reaches()
    {
        int port = FreePort.Closed();
        await using var dnsmasq = BackgroundCommand.Start(Tools.Ip, ["netns", "exec", fixture.Namespaces.Proxy, Dnsmasq.Binary,
            "--no-daemon", "--no-resolv", "--no-hosts", "--conf-file=/dev/null", "--pid-file", "--listen-address=127.0.0.1", "--bind-interfaces", "--user=root",
            $"--port={port.ToString(CultureInfo.InvariantCulture)}", "--address=/proxied.test/192.0.2.77"]);
        await dnsmasq.WaitForLineAsync(l => l.Contains("started", StringComparison.Ordinal), "dnsmasq's start line");

        // The resolver is on the proxy side's loopback: a rule naming loopback sends it through the proxy.
        string routes = Path.Combine(fixture.Directory, "udp-client.toml");
        await File.WriteAllTextAsync(routes, $"""
            [[rule]]
            name = "their loopback"
            action = "via"
            to = ["127.0.0.0/8"]
            proxies = ["{fixture.Proxy}"]
            """, TestContext.Current.CancellationToken);
        ProcessResult dig = await fixture.WindsockRunAsync(["--client-config", routes, "--", "/usr/bin/dig", "@127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "proxied.test", "+short", "+tries=1", "+time=10"]);

        Assert.True(dig.ExitCode == 0 && dig.StdoutText.Trim() == "192.0.2.77", $"{dig.Describe()}\n{dnsmasq.Transcript()}\n{fixture.Server.Transcript()}");
        await fixture.Server.WaitForLineAsync(
            l => l.Contains("command=udp-associate", StringComparison.Ordinal) && l.Contains($"client={NetworkNamespacePair.ClientAddress}:", StringComparison.Ordinal), "dig's UDP association");

        // The same question over TCP: an ordinary proxied connection to the resolver.
        ProcessResult tcp = await fixture.WindsockRunAsync(["--client-config", routes, "--", "/usr/bin/dig", "+tcp", "@127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "proxied.test", "+short", "+tries=1", "+time=10"]);
        Assert.True(tcp.ExitCode == 0 && tcp.StdoutText.Trim() == "192.0.2.77", $"{tcp.Describe()}\n{fixture.Server.Transcript()}");
        await fixture.Server.WaitForLineAsync(
            l => l.Contains("command=connect", StringComparison.Ordinal) && l.Contains($"dest=127.0.0.1:{port}", StringComparison.Ordinal), "dig +tcp's connection");
    }
}
