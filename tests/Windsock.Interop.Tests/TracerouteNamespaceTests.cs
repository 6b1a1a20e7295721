using System.Text.Json;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// `windsock traceroute` and `windsock ping` through a server in a chain of network namespaces the test builds
/// (proxy → router 1 → router 2 → target, <see cref="RouterChain"/>): the routers and the target in order with their
/// addresses over UDP and ICMP probes, IPv4 and IPv6; a dropping router as timeouts; an unreachable target reported;
/// and the three ways the server can be equipped: ICMP datagram sockets (ping_group_range set in the namespace),
/// raw sockets (root without it), neither (CAP_NET_RAW dropped: a clear refusal, and UDP traceroute still works).
/// </summary>
[Trait("Needs", "netns")]
public sealed class TracerouteNamespaceTests : IAsyncLifetime
{
    private RouterChain? _chain;

    private RouterChain Chain => _chain!;

    public async ValueTask InitializeAsync() => _chain = await RouterChain.CreateAsync();

    public async ValueTask DisposeAsync()
    {
        if (_chain is not null)
        {
            await _chain.DisposeAsync();
        }
    }

    private Task<WindsockProcess> StartServerAsync(IReadOnlyList<string>? wrapper = null) =>
        WindsockProcess.StartAsync(["--listen", "127.0.0.1:0"], hostsFile: null, environment: null, networkNamespace: Chain.Proxy, resolvConf: null, wrapper);

    private static string Proxy(WindsockProcess server) => $"socks5://127.0.0.1:{server.IPv4.Port}";

    /// <summary>The --json lines as (type, fields) for assertions.</summary>
    private static List<JsonElement> Events(ProcessResult result) =>
        [.. result.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)];

    private static string Type(JsonElement e) => e.GetProperty("type").GetString()!;

    [Theory]
    [InlineData("--udp", "-4", RouterChain.Router1V4, RouterChain.Router2V4, RouterChain.TargetV4, "port-unreachable")]
    [InlineData("--icmp", "-4", RouterChain.Router1V4, RouterChain.Router2V4, RouterChain.TargetV4, "echo-reply")]
    [InlineData("--udp", "-6", RouterChain.Router1V6, RouterChain.Router2V6, RouterChain.TargetV6, "port-unreachable")]
    [InlineData("--icmp", "-6", RouterChain.Router1V6, RouterChain.Router2V6, RouterChain.TargetV6, "echo-reply")]
    public async Task Traceroute_shows_both_routers_then_the_target(string probe, string family, string router1, string router2, string target, string arrival)
    {
        Chain.SkipUnlessReady();
        await using var server = await StartServerAsync();
        var result = await Chain.WindsockAsync("traceroute", probe, family, "-q", "1", "-w", "2", "-m", "6", "--json", "--proxy", Proxy(server), target);
        Assert.True(result.ExitCode == 0, result.Describe() + server.Transcript());
        var hops = Events(result).Where(e => Type(e) == "hop").ToList();
        Assert.True(hops.Count == 3, result.Describe());
        Assert.Equal([(1, router1, "time-exceeded"), (2, router2, "time-exceeded"), (3, target, arrival)],
            hops.Select(h => (h.GetProperty("ttl").GetInt32(), h.GetProperty("from").GetString()!, h.GetProperty("kind").GetString()!)));
        var summary = Events(result)[^1];
        Assert.Equal("summary", Type(summary));
        Assert.Equal("yes", summary.GetProperty("reached").GetString());

        // The text form, as traceroute prints it.
        var text = await Chain.WindsockAsync("traceroute", probe, family, "-q", "2", "-w", "2", "-m", "6", "--proxy", Proxy(server), target);
        var lines = text.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 4, text.Describe());
        Assert.Matches($@"^ 1  {router1}  [0-9.]+ ms  [0-9.]+ ms$", lines[1]);
        Assert.Matches($@"^ 2  {router2}  [0-9.]+ ms  [0-9.]+ ms$", lines[2]);
        Assert.Matches($@"^ 3  {target}  [0-9.]+ ms  [0-9.]+ ms$", lines[3]);
    }

    [Theory]
    [InlineData("-4", RouterChain.Router1V4, RouterChain.BlackholeV4)]
    [InlineData("-6", RouterChain.Router1V6, RouterChain.BlackholeV6)]
    public async Task A_router_that_drops_shows_as_timeouts(string family, string router1, string target)
    {
        Chain.SkipUnlessReady();
        await using var server = await StartServerAsync();
        var result = await Chain.WindsockAsync("traceroute", family, "-q", "1", "-w", "1", "-m", "3", "--json", "--proxy", Proxy(server), target);
        Assert.True(result.ExitCode == 0, result.Describe());
        var events = Events(result).Where(e => Type(e) is "hop" or "timeout").ToList();
        Assert.Equal([("hop", 1), ("timeout", 2), ("timeout", 3)], events.Select(e => (Type(e), e.GetProperty("ttl").GetInt32())));
        Assert.Equal(router1, events[0].GetProperty("from").GetString());
        Assert.Equal("no", Events(result)[^1].GetProperty("reached").GetString());
    }

    [Theory]
    [InlineData("-4", RouterChain.Router2V4, RouterChain.UnreachableV4)]
    [InlineData("-6", RouterChain.Router2V6, RouterChain.UnreachableV6)]
    public async Task An_unreachable_target_is_reported_by_the_router_that_knows(string family, string router2, string target)
    {
        Chain.SkipUnlessReady();
        await using var server = await StartServerAsync();
        var trace = await Chain.WindsockAsync("traceroute", family, "-q", "1", "-w", "2", "-m", "6", "--json", "--proxy", Proxy(server), target);
        Assert.True(trace.ExitCode == 0, trace.Describe());
        var last = Events(trace).Last(e => Type(e) == "hop");
        Assert.Equal(2, last.GetProperty("ttl").GetInt32());
        Assert.Equal(router2, last.GetProperty("from").GetString());
        Assert.Matches("^(host|net)-unreachable$", last.GetProperty("kind").GetString());

        var ping = await Chain.WindsockAsync("ping", family, "--count", "2", "-i", "0.2", "--proxy", Proxy(server), target);
        Assert.True(ping.ExitCode == 1, ping.Describe());
        Assert.Matches($@"From {router2} icmp_seq=1 Destination (Host|Net) Unreachable", ping.StdoutText);
        Assert.Contains("2 packets transmitted, 0 received, +2 errors, 100% packet loss", ping.StdoutText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ping_uses_datagram_sockets_where_ping_group_range_admits_the_server_and_raw_sockets_otherwise()
    {
        Chain.SkipUnlessReady();
        await Chain.SysctlAsync(Chain.Proxy, "net.ipv4.ping_group_range=0 2147483647");
        await using (var datagram = await StartServerAsync())
        {
            Assert.Contains(datagram.StdoutLines, l => l.Contains("ping and traceroute over IPv4: available (ICMP through ICMP datagram sockets", StringComparison.Ordinal));
            var ping = await Chain.WindsockAsync("ping", "--count", "2", "-i", "0.2", "--proxy", Proxy(datagram), RouterChain.TargetV4);
            Assert.True(ping.ExitCode == 0 && ping.StdoutText.Contains("2 received", StringComparison.Ordinal), ping.Describe());
            var ping6 = await Chain.WindsockAsync("ping", "--count", "2", "-i", "0.2", "--proxy", Proxy(datagram), RouterChain.TargetV6);
            Assert.True(ping6.ExitCode == 0 && ping6.StdoutText.Contains("2 received", StringComparison.Ordinal), ping6.Describe());
        }

        await Chain.SysctlAsync(Chain.Proxy, "net.ipv4.ping_group_range=1 0");
        await using var raw = await StartServerAsync();
        Assert.Contains(raw.StdoutLines, l => l.Contains("ping and traceroute over IPv4: available (ICMP through raw ICMP sockets", StringComparison.Ordinal));
        var rawPing = await Chain.WindsockAsync("ping", "--count", "2", "-i", "0.2", "--proxy", Proxy(raw), RouterChain.TargetV4);
        Assert.True(rawPing.ExitCode == 0 && rawPing.StdoutText.Contains("2 received", StringComparison.Ordinal), rawPing.Describe());
    }

    [Fact]
    public async Task Without_either_ping_is_refused_with_the_fix_and_udp_traceroute_still_works()
    {
        Chain.SkipUnlessReady();
        await Chain.SysctlAsync(Chain.Proxy, "net.ipv4.ping_group_range=1 0");
        await using var server = await StartServerAsync(["/usr/bin/setpriv", "--bounding-set=-net_raw", "--"]);
        Assert.Contains(server.StdoutLines, l => l.Contains("ping over IPv4: unavailable (net.ipv4.ping_group_range is \"1 0\", which does not contain the server's group 0; run sysctl -w net.ipv4.ping_group_range=\"0 0\"", StringComparison.Ordinal)
            && l.Contains("CAP_NET_RAW", StringComparison.Ordinal));

        var ping = await Chain.WindsockAsync("ping", "--count", "1", "--proxy", Proxy(server), RouterChain.TargetV4);
        Assert.True(ping.ExitCode == 2 && ping.Stderr.Contains("ICMP probes are not available to the server", StringComparison.Ordinal), ping.Describe());

        var trace = await Chain.WindsockAsync("traceroute", "--udp", "-q", "1", "-w", "2", "-m", "6", "--json", "--proxy", Proxy(server), RouterChain.TargetV4);
        Assert.True(trace.ExitCode == 0, trace.Describe() + server.Transcript());
        Assert.Equal([RouterChain.Router1V4, RouterChain.Router2V4, RouterChain.TargetV4], Events(trace).Where(e => Type(e) == "hop").Select(h => h.GetProperty("from").GetString()));
    }
}
