using System.Globalization;
using System.Text.RegularExpressions;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// Two Windsock nodes behind Debian's HAProxy (mode tcp, send-proxy-v2, health checks), in the network
/// namespaces of <see cref="FleetNetwork"/>, with the exact files of examples/scale-out/ that
/// docs/scale-out.md shows. The clients are curl and fleet_client.py (SOCKS5 from RFC 1928, no library);
/// one Prometheus (Debian's) in the balancer's namespace scrapes both nodes' admin listeners.
/// Fixed ports (1080, 80, 7, 9180, 9090) are safe here: nothing but this test lives in these namespaces, and the
/// configurations stay exactly the documented ones.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class FleetTests
{
    private const string Proxy = FleetNetwork.Vip;
    private const string ProxyPort = "1080";
    private const string Target = FleetNetwork.TargetAddress;

    /// <summary>New connections that may fail while a node stops (measured: see docs/scale-out.md).</summary>
    private const int MaxFailuresDuringSwitch = 5;

    /// <summary>The admin token both nodes and Prometheus share (the test's own; the docs leave it to the reader).</summary>
    private const string AdminToken = "fleet-admin-token-4f9c2e";

    private static string Example(string file) => Path.Combine(Tools.SourceRoot, "examples", "scale-out", file);

    [Fact]
    public async Task Two_nodes_behind_haproxy_serve_rules_udp_reload_and_a_stopped_node()
    {
        await using var fleet = await FleetNetwork.CreateAsync();
        fleet.SkipUnlessReady();
        if (!File.Exists(Tools.Haproxy))
        {
            Assert.Skip($"{Tools.Haproxy} is missing: test.sh installs Debian's haproxy");
        }

        using var dir = new TempDirectory();
        string[] configs = [Path.Combine(dir.Path, "node1.toml"), Path.Combine(dir.Path, "node2.toml")];
        File.Copy(Example("node1.toml"), configs[0]);
        File.Copy(Example("node2.toml"), configs[1]);
        string token = Path.Combine(dir.Path, "admin-token"); // the nodes' token_file, relative to their configuration
        await File.WriteAllTextAsync(token, AdminToken + "\n");
        File.SetUnixFileMode(token, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        await using var target = FleetNetwork.StartIn(fleet.Target, [Tools.Python, Path.Combine(Tools.PythonDirectory, "fleet_target.py"), Target]);
        await target.WaitForLineAsync(l => l == "listening", "the target's listening line");
        await using var node1 = await WindsockProcess.StartAsync(["--config", configs[0]], null, null, fleet.Node(1));
        await using var node2 = await WindsockProcess.StartAsync(["--config", configs[1]], null, null, fleet.Node(2));
        WindsockProcess[] nodes = [node1, node2];
        await using var haproxy = FleetNetwork.StartIn(fleet.Balancer, [Tools.Haproxy, "-db", "-f", Example("haproxy.cfg")]);

        // One Prometheus for both nodes: exactly prometheus.yml, but scraping every second and with the test's token file.
        string prometheusConfig = (await File.ReadAllTextAsync(Example("prometheus.yml")))
            .Replace("scrape_interval: 15s", "scrape_interval: 1s", StringComparison.Ordinal)
            .Replace("/etc/prometheus/windsock-admin-token", token, StringComparison.Ordinal);
        await using var prometheus = PrometheusServer.Start(dir.Path, prometheusConfig, fleet.Balancer);

        // HAProxy's health checks reach both nodes (each says so in its request log) before clients come.
        foreach (var node in nodes)
        {
            await node.WaitForLineAsync(l => l.Contains("balancer", StringComparison.Ordinal), "a health check from HAProxy");
        }

        // HAProxy's health checks are taken for what they are: no refusal, no warning.
        foreach (var node in nodes)
        {
            Assert.DoesNotContain(node.StdoutLines, l => l.Contains("balancer refused", StringComparison.Ordinal));
            Assert.Contains(node.StdoutLines, l => l.Contains("balancer health check", StringComparison.Ordinal) || l.Contains("(a TCP health check)", StringComparison.Ordinal));
        }

        // 1. curl through the balancer, twice (round robin: once per node).
        for (int i = 0; i < 2; i++)
        {
            var curl = await FleetNetwork.RunInAsync(fleet.Client, [Tools.Curl, "-sS", "--max-time", "10", "--socks5", $"{Proxy}:{ProxyPort}", $"http://{Target}/"]);
            Assert.True(curl.ExitCode == 0, curl.Describe());
            Assert.Equal("fleet target\n", curl.StdoutText);
        }

        // 2. A rule by client network holds on both nodes, and both logs name the real clients.
        var allowed = await ConnectAsync(fleet, FleetNetwork.ClientAddress, 4);
        Assert.Equal(4, allowed.Ok.Count);
        Assert.Equal(["10.232.2.2", "10.232.3.2"], allowed.Ok.Values.Distinct().Order(StringComparer.Ordinal));
        var bench = await ConnectAsync(fleet, FleetNetwork.BenchAddress, 4);
        Assert.Equal(4, bench.Refused);
        foreach (var node in nodes)
        {
            string request = await node.WaitForLineAsync(l => IsRequest(l, FleetNetwork.ClientAddress) && l.Contains("clients to the service network", StringComparison.Ordinal), "a request from the real client");
            // HAProxy's unique id (PROXY v2 UNIQUE_ID): %{+X}o%ci:%cp puts the client's address first, in hex.
            Assert.Contains("balancer_id=0AE80102:", request, StringComparison.Ordinal);
            string denied = await node.WaitForLineAsync(l => IsRequest(l, FleetNetwork.BenchAddress), "the bench's denied request");
            Assert.Contains("the lab bench stays in", denied, StringComparison.Ordinal);
        }

        // 3. UDP ASSOCIATE through the balancer; the datagrams go straight to the node's advertised address.
        var relays = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < 2; i++)
        {
            var udp = await RunClientAsync(fleet, ["udp", Proxy, ProxyPort, Target, "7", FleetNetwork.ClientAddress]);
            Assert.Contains("echo OK", udp.StdoutText, StringComparison.Ordinal);
            relays.Add(RelayLine().Match(udp.StdoutText).Groups["address"].Value);
        }

        Assert.Equal(["10.232.2.3", "10.232.3.3"], relays.Order(StringComparer.Ordinal));

        // 4. Both nodes reloaded with SIGHUP in the middle of 60 new connections, none of which may fail;
        // afterwards the widened rule holds on both.
        foreach (string config in configs)
        {
            string text = await File.ReadAllTextAsync(config);
            await File.WriteAllTextAsync(config, text.Replace("from = [\"10.232.1.3\"]", "from = [\"10.232.1.3\", \"10.232.1.4\"]", StringComparison.Ordinal));
        }

        const int duringReload = 60;
        var reloading = await RunClientAsync(fleet, ["connect", Proxy, ProxyPort, Target, "80", FleetNetwork.ClientAddress, duringReload.ToString(CultureInfo.InvariantCulture),
            $"{node1.Pid},{node2.Pid}", "20", "HUP"], TimeSpan.FromMinutes(2));
        var reload = Attempts.Parse(reloading.StdoutText);
        Assert.True(reload.Ok.Count == duringReload, reloading.StdoutText);
        Assert.Contains($"sent SIGHUP to {node1.Pid},{node2.Pid} before attempt 20", reloading.StdoutText, StringComparison.Ordinal);
        foreach (var node in nodes)
        {
            // The file watcher may have reloaded the rewritten file already; the SIGHUP reloads it once more.
            await node.WaitForLineAsync(l => l.Contains("configuration reloaded (SIGHUP)", StringComparison.Ordinal), "the SIGHUP reload notice");
        }

        var late = await ConnectAsync(fleet, FleetNetwork.LateAddress, 4);
        Assert.Equal(4, late.Refused);
        foreach (var node in nodes)
        {
            await node.WaitForLineAsync(l => IsRequest(l, FleetNetwork.LateAddress) && l.Contains("the lab bench stays in", StringComparison.Ordinal), "the late client's denied request");
        }

        // One Prometheus scraped both nodes: per node, the connect sessions it counted are those its own request
        // log ended, and together they are every SOCKS CONNECT the test sent (2 curl, 4 + 4, 60, 4 late); each
        // counted the good reloads its log has (the SIGHUP's, and the file watcher's when it saw the rewrite first).
        const int connectsSent = 2 + 4 + 4 + duringReload + 4;
        int Ended(WindsockProcess node) => node.StdoutLines.Count(l => l.Contains(" end ", StringComparison.Ordinal) && l.Contains("command=connect", StringComparison.Ordinal));
        var perNode = await prometheus.QueryUntilAsync("sum by (instance) (windsock_sessions_total{command=\"connect\"})", samples =>
            samples.Count == 2 && samples.Sum(s => s.Value) == connectsSent
            && samples.Single(s => s.Labels["instance"] == "10.232.2.2:9180").Value == Ended(node1)
            && samples.Single(s => s.Labels["instance"] == "10.232.3.2:9180").Value == Ended(node2),
            $"{connectsSent} connect sessions over both nodes, each node's as many as its log ended");
        TestContext.Current.TestOutputHelper?.WriteLine($"prometheus: {string.Join(", ", perNode.Select(s => $"{s.Labels["instance"]}={s.Value}"))} connect sessions");
        Assert.All(perNode, s => Assert.True(s.Value >= duringReload / 2 - 5, $"{s.Labels["instance"]} served {s.Value}: the balancer skipped it"));
        int Reloads(WindsockProcess node) => node.StdoutLines.Count(l => l.Contains("configuration reloaded", StringComparison.Ordinal));
        await prometheus.QueryUntilAsync("windsock_reloads_total{outcome=\"ok\"}", samples =>
            samples.Count == 2 && samples.Single(s => s.Labels["instance"] == "10.232.2.2:9180").Value == Reloads(node1)
            && samples.Single(s => s.Labels["instance"] == "10.232.3.2:9180").Value == Reloads(node2),
            "each node's good reloads as its log has them");

        // 5. Node 1 stopped (SIGTERM, as systemctl stop) before the 100th of 300 new connections.
        const int attempts = 300;
        const int stopAt = 100;
        var run = await RunClientAsync(fleet, ["connect", Proxy, ProxyPort, Target, "80", FleetNetwork.ClientAddress, attempts.ToString(CultureInfo.InvariantCulture),
            node1.Pid.ToString(CultureInfo.InvariantCulture), stopAt.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromMinutes(3));
        var switchOver = Attempts.Parse(run.StdoutText);
        Assert.Equal(attempts, switchOver.Ok.Count + switchOver.Refused + switchOver.Failed.Count);
        string figure = $"switch-over: {switchOver.Failed.Count} of {attempts} new connections failed after node1 stopped at attempt {stopAt}"
            + (switchOver.Failed.Count == 0 ? "" : $" (attempts {string.Join(", ", switchOver.Failed.Keys)})");
        TestContext.Current.TestOutputHelper?.WriteLine(figure);
        Assert.True(switchOver.Failed.Count <= MaxFailuresDuringSwitch, figure + "\n" + run.StdoutText + haproxy.Transcript());
        Assert.Equal(0, switchOver.Refused);

        // Before the stop both nodes served; from a little after it, node 2 alone.
        Assert.Contains(switchOver.Ok.Where(a => a.Key < stopAt), a => a.Value == "10.232.2.2");
        var afterwards = switchOver.Ok.Where(a => a.Key >= stopAt + 20).ToList();
        Assert.True(afterwards.Count >= attempts - stopAt - 20 - MaxFailuresDuringSwitch, run.StdoutText);
        Assert.All(afterwards, a => Assert.Equal("10.232.3.2", a.Value));
        Assert.Equal(0, await node1.WaitForExitAsync(Timeouts.Stop));
    }

    [Theory]
    [InlineData("haproxy.cfg")]
    [InlineData("node1.toml")]
    [InlineData("node2.toml")]
    [InlineData("prometheus.yml")]
    public void Docs_scale_out_shows_exactly_the_files_the_test_runs(string file)
    {
        string doc = File.ReadAllText(Path.Combine(Tools.SourceRoot, "docs", "scale-out.md"));
        Assert.Contains(File.ReadAllText(Example(file)), doc, StringComparison.Ordinal);
    }

    private static bool IsRequest(string line, string client) =>
        line.Contains(" request ", StringComparison.Ordinal) && line.Contains($"client={client}:", StringComparison.Ordinal)
        && line.Contains("balancer=10.232.", StringComparison.Ordinal);

    private static async Task<Attempts> ConnectAsync(FleetNetwork fleet, string source, int count)
    {
        var result = await RunClientAsync(fleet, ["connect", Proxy, ProxyPort, Target, "80", source, count.ToString(CultureInfo.InvariantCulture)]);
        return Attempts.Parse(result.StdoutText);
    }

    private static async Task<ProcessResult> RunClientAsync(FleetNetwork fleet, string[] args, TimeSpan? timeout = null)
    {
        var result = await FleetNetwork.RunInAsync(fleet.Client, [Tools.Python, Path.Combine(Tools.PythonDirectory, "fleet_client.py"), .. args], timeout);
        Assert.True(result.ExitCode == 0, result.Describe());
        return result;
    }

    [GeneratedRegex(@"^relay (?<address>[0-9.]+) \d+$", RegexOptions.Multiline)]
    private static partial Regex RelayLine();

    /// <summary>fleet_client.py connect's lines: attempt number → the node's outbound address, refusals, failures with why.</summary>
    private sealed partial record Attempts(SortedDictionary<int, string> Ok, int Refused, SortedDictionary<int, string> Failed)
    {
        public static Attempts Parse(string output)
        {
            var ok = new SortedDictionary<int, string>();
            var failed = new SortedDictionary<int, string>();
            int refused = 0;
            foreach (Match m in AttemptLine().Matches(output))
            {
                int i = int.Parse(m.Groups["i"].Value, CultureInfo.InvariantCulture);
                switch (m.Groups["kind"].Value)
                {
                    case "ok":
                        ok[i] = m.Groups["rest"].Value;
                        break;
                    case "refused":
                        Assert.Equal("2", m.Groups["rest"].Value);
                        refused++;
                        break;
                    default:
                        failed[i] = m.Groups["rest"].Value;
                        break;
                }
            }

            return new Attempts(ok, refused, failed);
        }

        [GeneratedRegex(@"^attempt (?<i>\d+) (?<kind>ok|refused|failed) (?<rest>.*)$", RegexOptions.Multiline)]
        private static partial Regex AttemptLine();
    }
}
