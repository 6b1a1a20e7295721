using System.Net;
using Windsock.Protocol.Socks5;
using Windsock.Server.Authentication;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Sessions;

/// <summary>
/// The login throttle in the RFC 1929 path of a real server: past the free failures a source's attempts
/// are refused without a password hash (when the wait would outlast half the negotiation time), known
/// and unknown names alike, logged once; another source logs in as usual.
/// </summary>
public sealed class LoginThrottlingTests
{
    private static readonly IPAddress OtherSource = IPAddress.Parse("127.0.0.2");

    [Fact]
    public async Task Past_the_free_failures_a_source_is_refused_without_hashing_and_another_source_logs_in()
    {
        var hasher = new PasswordHasher(iterations: 10);
        var store = new UserStore(new Dictionary<string, string> { ["alice"] = hasher.Hash("right") }, hasher, new PasswordHashingQueue(1, TimeProvider.System));
        var log = new CollectingLogger();
        await using var server = TestServer.Start(
            o => o with
            {
                // Half the negotiation time is how long a refused attempt is held: short here, to keep the test quick.
                NegotiationTimeout = TimeSpan.FromSeconds(1),
                Limits = o.Limits with { Logins = o.Limits.Logins with { FreeFailuresPerSource = 2, FirstDelay = TimeSpan.FromMinutes(1) } },
            },
            credentials: store,
            logger: log);

        long before = hasher.Derivations;
        Assert.False(await LoginAsync(server, IPAddress.Loopback, "alice", "wrong1"));
        Assert.False(await LoginAsync(server, IPAddress.Loopback, "alice", "wrong2"));
        Assert.Equal(before + 2, hasher.Derivations);

        // Throttled now: even the right password is refused, and no hash runs for it or for an unknown name.
        // Each refusal is held for half the negotiation time first, so reconnecting at once gains nothing.
        var held = System.Diagnostics.Stopwatch.StartNew();
        Assert.False(await LoginAsync(server, IPAddress.Loopback, "alice", "right"));
        Assert.True(held.Elapsed >= TimeSpan.FromMilliseconds(450), $"refused after {held.ElapsedMilliseconds}ms");
        Assert.False(await LoginAsync(server, IPAddress.Loopback, "nobody", "right"));
        Assert.Equal(before + 2, hasher.Derivations);
        var throttled = server.Lines.Where(l => l.Contains("authentication throttled", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, throttled.Count);
        Assert.Contains(throttled, l => l.Contains("user=alice", StringComparison.Ordinal));
        Assert.Contains(throttled, l => l.Contains("user=nobody", StringComparison.Ordinal));
        Assert.All(throttled, l => Assert.Contains("2 recent failures from 127.0.0.1", l, StringComparison.Ordinal));

        Assert.True(await LoginAsync(server, OtherSource, "alice", "right"));
        var notice = Assert.Single(log.Messages, m => m.StartsWith("Login throttling for 127.0.0.1:", StringComparison.Ordinal));
        Assert.Contains("2 recent failed logins; its attempts now wait 60s, doubling per failure up to 60s", notice, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failures_for_one_user_name_from_many_sources_throttle_that_name_alike_for_real_and_unknown_users()
    {
        var hasher = new PasswordHasher(iterations: 10);
        var store = new UserStore(new Dictionary<string, string> { ["alice"] = hasher.Hash("right") }, hasher, new PasswordHashingQueue(1, TimeProvider.System));
        await using var server = TestServer.Start(
            o => o with
            {
                NegotiationTimeout = TimeSpan.FromSeconds(1),
                Limits = o.Limits with { Logins = o.Limits.Logins with { FreeFailuresPerUser = 2, FirstDelay = TimeSpan.FromMinutes(1) } },
            },
            credentials: store);

        foreach (var name in new[] { "alice", "nobody" })
        {
            Assert.False(await LoginAsync(server, IPAddress.Parse("127.0.0.3"), name, "wrong"));
            Assert.False(await LoginAsync(server, IPAddress.Parse("127.0.0.4"), name, "wrong"));
        }

        long before = hasher.Derivations;
        Assert.False(await LoginAsync(server, IPAddress.Parse("127.0.0.5"), "alice", "right"));
        Assert.False(await LoginAsync(server, IPAddress.Parse("127.0.0.5"), "nobody", "right"));
        Assert.Equal(before, hasher.Derivations);
        var throttled = server.Lines.Where(l => l.Contains("authentication throttled", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, throttled.Count);
        Assert.All(throttled, l => Assert.Contains("2 for this user name", l, StringComparison.Ordinal));
    }

    /// <summary>Greets, logs in and returns the server's verdict; the connection is closed after a failure.</summary>
    private static async Task<bool> LoginAsync(TestServer server, IPAddress from, string user, string password)
    {
        using var client = await RawClient.ConnectAsync(server.EndPoint, from);
        Assert.Equal((byte)AuthMethod.UsernamePassword, await client.GreetAsync(AuthMethod.UsernamePassword));
        bool ok = await client.LoginAsync(user, password);
        if (!ok)
        {
            Assert.True(await client.IsClosedByServerAsync());
            await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal) && l.Contains($"user={user}", StringComparison.Ordinal)
                && l.Contains($"client={from}:{((IPEndPoint)client.Socket.LocalEndPoint!).Port}", StringComparison.Ordinal));
        }

        return ok;
    }
}
