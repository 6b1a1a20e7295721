using System.Net;
using Microsoft.Extensions.Time.Testing;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Server.Authentication;
using Windsock.Server.Configuration;
using Windsock.Server.Metrics;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Commands;

/// <summary>
/// How an allowed CONNECT goes out when its rule says so, in process on loopback: from a rule's source address
/// (per user, by a rule matching the user), or through an upstream route's chains, another Windsock server as the hop,
/// failing over to the next chain and coming back after the retry time (a fake clock: the retry time is exact).
/// </summary>
public sealed class RuleOutboundTests
{
    private sealed class PasswordIsPw : ICredentialVerifier
    {
        public ValueTask<CredentialVerdict> VerifyAsync(string userName, string password, IPAddress client, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new CredentialVerdict(password == "pw", "test"));
    }

    /// <summary>Rule 1 of every route test (its header on line 5 after a three-line route): CONNECTs to loopback through "office".</summary>
    private const string ViaRule = "\n\n[[rule]]\naction = \"allow\"\ncommands = [\"connect\"]\nto = [\"127.0.0.0/8\"]\nvia = \"office\"\n";

    private static TestServer Start(string toml, ICredentialVerifier? credentials = null, TimeProvider? time = null)
    {
        var parsed = ConfigLoader.Parse(toml, "/etc/windsock/windsock.toml");
        return TestServer.Start(o => parsed with { Listen = o.Listen }, credentials, time);
    }

    private static async Task<Socks5ReplyCode> EchoThroughAsync(TestServer server, IPEndPoint destination, string? user = null)
    {
        using var client = await RawClient.ConnectAsync(server.EndPoint);
        if (user is null)
        {
            Assert.Equal((byte)AuthMethod.None, await client.GreetAsync(AuthMethod.None));
        }
        else
        {
            Assert.Equal((byte)AuthMethod.UsernamePassword, await client.GreetAsync(AuthMethod.UsernamePassword));
            Assert.True(await client.LoginAsync(user, "pw"));
        }

        var reply = await client.RequestAsync(Socks5Command.Connect, SocksEndpoint.FromEndPoint(destination));
        if (reply.Code == Socks5ReplyCode.Succeeded)
        {
            await client.SendAsync("ping"u8.ToArray());
            Assert.Equal("ping"u8.ToArray(), await client.ReadExactlyAsync(4));
        }

        return reply.Code;
    }

    [Fact]
    public async Task Each_users_rule_sends_its_connections_from_its_own_source_address()
    {
        await using var echo = new EchoServer(IPAddress.Loopback);
        await using var server = Start("""
            [[rule]]
            action = "allow"
            users = ["alice"]
            to = ["127.0.0.0/8"]
            source = "127.0.0.2"

            [[rule]]
            action = "allow"
            users = ["bob"]
            to = ["127.0.0.0/8"]
            source = "127.0.0.3"
            """, new PasswordIsPw());

        Assert.Equal(Socks5ReplyCode.Succeeded, await EchoThroughAsync(server, echo.EndPoint, "alice"));
        Assert.Equal(Socks5ReplyCode.Succeeded, await EchoThroughAsync(server, echo.EndPoint, "bob"));

        Assert.Equal([IPAddress.Parse("127.0.0.2"), IPAddress.Parse("127.0.0.3")], echo.Peers.Select(p => p.Address));
        await server.WaitForLineAsync(l => l.Contains(" request ", StringComparison.Ordinal) && l.Contains("user=alice", StringComparison.Ordinal) && l.Contains(" source=127.0.0.2", StringComparison.Ordinal));
        await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal) && l.Contains("user=bob", StringComparison.Ordinal) && l.Contains(" source=127.0.0.3 bytes_up=4", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_via_rule_connects_through_the_routes_upstream_and_the_log_names_route_chain_and_hops()
    {
        await using var echo = new EchoServer(IPAddress.Loopback);
        await using var upstream = TestServer.Start();
        await using var front = Start($"""
            [[route]]
            name = "office"
            chain = ["socks5h://{upstream.EndPoint}"]
            """ + ViaRule);

        Assert.Equal(Socks5ReplyCode.Succeeded, await EchoThroughAsync(front, echo.EndPoint));

        string line = await front.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal) || l.Contains("end session", StringComparison.Ordinal));
        Assert.Contains($"connected={upstream.EndPoint} reply=0 rule=\"rule 1 (/etc/windsock/windsock.toml:5:1)\" route=office route_chain=1 route_hops=socks5h://{upstream.EndPoint} bytes_up=4", line, StringComparison.Ordinal);
        // The upstream made the connection to the destination: its log says so.
        await upstream.WaitForLineAsync(l => l.Contains($"dest={echo.EndPoint} connected={echo.EndPoint}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_stopped_upstream_fails_over_within_the_request_and_comes_back_after_the_retry_time()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var echo = new EchoServer(IPAddress.Loopback);
        ushort firstPort = FreePort.Closed();
        var first = new IPEndPoint(IPAddress.Loopback, firstPort);
        await using var second = TestServer.Start();
        var upstream = TestServer.Start(o => o with { Listen = [first] });
        await using var front = Start($"""
            [[route]]
            name = "office"
            chains = [["socks5h://{first}"], ["socks5h://{second.EndPoint}"]]
            max_failures = 1
            retry_time = "10s"
            """ + ViaRule, time: time);
        using var metrics = new MetricsCollector(front.Context.Metrics.Meter);

        Assert.Equal(Socks5ReplyCode.Succeeded, await EchoThroughAsync(front, echo.EndPoint));
        await upstream.DisposeAsync();

        // Every request after the stop still gets through: the first by failing over, the rest skip the dead chain.
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(Socks5ReplyCode.Succeeded, await EchoThroughAsync(front, echo.EndPoint));
        }

        Assert.Equal(1, front.Lines.Count(l => l.StartsWith("20", StringComparison.Ordinal) && l.Contains(" request ", StringComparison.Ordinal) && l.Contains("route_chain=1", StringComparison.Ordinal)));
        Assert.Equal(5, front.Lines.Count(l => l.Contains(" request ", StringComparison.Ordinal) && l.Contains("route_chain=2", StringComparison.Ordinal)));
        Assert.Equal((1L, 1L), UpstreamCounts(metrics));

        // Back on its port; before the retry time it is not asked, after it the next request goes through it again.
        await using var restarted = TestServer.Start(o => o with { Listen = [first] });
        Assert.Equal(Socks5ReplyCode.Succeeded, await EchoThroughAsync(front, echo.EndPoint));
        Assert.Empty(restarted.Lines);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(Socks5ReplyCode.Succeeded, await EchoThroughAsync(front, echo.EndPoint));
        await restarted.WaitForLineAsync(l => l.Contains($"dest={echo.EndPoint}", StringComparison.Ordinal));
        Assert.Equal(2, front.Lines.Count(l => l.Contains(" request ", StringComparison.Ordinal) && l.Contains("route_chain=1", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task When_every_chain_fails_the_client_gets_general_failure_and_the_log_says_why()
    {
        await using var echo = new EchoServer(IPAddress.Loopback);
        var dead = new IPEndPoint(IPAddress.Loopback, FreePort.Closed());
        await using var front = Start($"""
            [[route]]
            name = "office"
            chain = ["socks5h://{dead}"]
            """ + ViaRule);

        Assert.Equal(Socks5ReplyCode.GeneralFailure, await EchoThroughAsync(front, echo.EndPoint));

        string line = await front.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal));
        Assert.Contains("reply=1 rule=\"rule 1 (/etc/windsock/windsock.toml:5:1)\" route=office route_chain=- route_hops=-", line, StringComparison.Ordinal);
        Assert.Contains($"route office: no chain got through (chain 1: Could not connect to the SOCKS proxy socks5h://{dead}", line, StringComparison.Ordinal);
        Assert.Empty(echo.Peers);
    }

    [Fact]
    public async Task The_last_hops_refusal_is_the_answer_and_no_chain_failure()
    {
        await using var upstream = TestServer.Start();
        var closed = new IPEndPoint(IPAddress.Loopback, FreePort.Closed());
        await using var front = Start($"""
            [[route]]
            name = "office"
            chains = [["socks5h://{upstream.EndPoint}"], ["socks5h://127.0.0.1:1"]]
            max_failures = 1
            """ + ViaRule);
        using var metrics = new MetricsCollector(front.Context.Metrics.Meter);

        Assert.Equal(Socks5ReplyCode.ConnectionRefused, await EchoThroughAsync(front, closed));

        string line = await front.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal));
        Assert.Contains("reply=5", line, StringComparison.Ordinal);
        Assert.Contains("route_chain=1", line, StringComparison.Ordinal);
        Assert.Equal((0L, 0L), UpstreamCounts(metrics));
    }

    /// <summary>The upstream counters as Prometheus scrapes them from this server's meter (each test server has its own).</summary>
    private static (long Failures, long Failovers) UpstreamCounts(MetricsCollector collector)
    {
        string text = PrometheusText.Write(collector.Collect());
        long Value(string name) => text.Split('\n').FirstOrDefault(l => l.StartsWith(name + "{route=\"office\"} ", StringComparison.Ordinal)) is { } line
            ? long.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture)
            : 0;
        return (Value("windsock_upstream_failures_total"), Value("windsock_upstream_failovers_total"));
    }
}
