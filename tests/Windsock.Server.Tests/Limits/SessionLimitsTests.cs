using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Server.Authentication;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Limits;

/// <summary>
/// The [limits] against a real server in process: a full count refuses with reply 1 and the limit's reason in
/// the log while others are served, a freed slot is taken again, the connection rate is a token bucket, and
/// bandwidth limits hold the rate of a real transfer.
/// </summary>
public sealed class SessionLimitsTests
{
    private static readonly IPAddress OtherSource = IPAddress.Parse("127.0.0.2");

    private sealed class AnyUser : ICredentialVerifier
    {
        public ValueTask<CredentialVerdict> VerifyAsync(string userName, string password, IPAddress client, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new CredentialVerdict(password == "pw", "test"));
    }

    private static async Task<(RawClient Client, Socks5ReplyCode Code)> ConnectAsAsync(TestServer server, string user, IPEndPoint destination)
    {
        var client = await RawClient.ConnectAsync(server.EndPoint);
        Assert.Equal((byte)AuthMethod.UsernamePassword, await client.GreetAsync(AuthMethod.UsernamePassword));
        Assert.True(await client.LoginAsync(user, "pw"));
        return (client, (await client.RequestAsync(Socks5Command.Connect, SocksEndpoint.FromEndPoint(destination))).Code);
    }

    [Fact]
    public async Task Sessions_per_user_refuses_the_third_with_the_reason_serves_another_user_and_frees_a_slot_on_close()
    {
        var log = new CollectingLogger();
        await using var server = TestServer.Start(o => o with { Limits = o.Limits with { SessionsPerUser = 2 } }, credentials: new AnyUser(), logger: log);
        await using var echo = new EchoServer(IPAddress.Loopback);
        var (first, code1) = await ConnectAsAsync(server, "alice", echo.EndPoint);
        var (second, code2) = await ConnectAsAsync(server, "alice", echo.EndPoint);
        using var keep = second;
        Assert.Equal((Socks5ReplyCode.Succeeded, Socks5ReplyCode.Succeeded), (code1, code2));

        var (third, code3) = await ConnectAsAsync(server, "alice", echo.EndPoint);
        using (third)
        {
            Assert.Equal(Socks5ReplyCode.GeneralFailure, code3);
            Assert.True(await third.IsClosedByServerAsync());
        }

        var line = await server.WaitForLineAsync(l => l.Contains("limit sessions_per_user=2 reached for alice", StringComparison.Ordinal) && l.Contains(" end ", StringComparison.Ordinal));
        Assert.Contains("user=alice", line, StringComparison.Ordinal);
        Assert.Single(log.Messages, m => m.Contains("limit sessions_per_user=2 reached for alice", StringComparison.Ordinal));

        var (bob, bobCode) = await ConnectAsAsync(server, "bob", echo.EndPoint);
        using (bob)
        {
            Assert.Equal(Socks5ReplyCode.Succeeded, bobCode);
        }

        // Closing one of alice's sessions gives its slot back once the session has ended.
        first.Dispose();
        await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal) && l.Contains("user=alice", StringComparison.Ordinal) && l.Contains("closed", StringComparison.Ordinal));
        var (again, againCode) = await ConnectAsAsync(server, "alice", echo.EndPoint);
        using (again)
        {
            Assert.Equal(Socks5ReplyCode.Succeeded, againCode);
            Assert.Equal(2, server.Context.Guards.SessionsOf("alice"));
        }
    }

    [Fact]
    public async Task Sessions_per_source_counts_one_address_and_leaves_another_source_alone()
    {
        await using var server = TestServer.Start(o => o with { Limits = o.Limits with { SessionsPerSource = 1 } });
        await using var echo = new EchoServer(IPAddress.Loopback);
        var destination = SocksEndpoint.FromEndPoint(echo.EndPoint);
        using var held = await RawClient.ConnectAsync(server.EndPoint);
        Assert.Equal(Socks5ReplyCode.Succeeded, (await held.ConnectSocks5Async(destination)).Code);

        using var refused = await RawClient.ConnectAsync(server.EndPoint);
        Assert.Equal(Socks5ReplyCode.GeneralFailure, (await refused.ConnectSocks5Async(destination)).Code);
        await server.WaitForLineAsync(l => l.Contains("limit sessions_per_source=1 reached for 127.0.0.1", StringComparison.Ordinal));

        using var other = await RawClient.ConnectAsync(server.EndPoint, OtherSource);
        Assert.Equal(Socks5ReplyCode.Succeeded, (await other.ConnectSocks5Async(destination)).Code);
    }

    [Fact]
    public async Task Sessions_per_source_with_a_prefix_counts_the_whole_network()
    {
        await using var server = TestServer.Start(o => o with { Limits = o.Limits with { SessionsPerSource = 1, SourcePrefixIPv4 = 24 } });
        await using var echo = new EchoServer(IPAddress.Loopback);
        var destination = SocksEndpoint.FromEndPoint(echo.EndPoint);
        using var held = await RawClient.ConnectAsync(server.EndPoint);
        Assert.Equal(Socks5ReplyCode.Succeeded, (await held.ConnectSocks5Async(destination)).Code);

        // 127.0.0.2 is in 127.0.0.0/24 with 127.0.0.1: the same source now.
        using var neighbour = await RawClient.ConnectAsync(server.EndPoint, OtherSource);
        Assert.Equal(Socks5ReplyCode.GeneralFailure, (await neighbour.ConnectSocks5Async(destination)).Code);
        await server.WaitForLineAsync(l => l.Contains("limit sessions_per_source=1 reached for 127.0.0.0/24", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Connection_rate_is_a_token_bucket_per_source_refilled_by_time()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        await using var server = TestServer.Start(o => o with { Limits = o.Limits with { ConnectionsPerSecondPerSource = 1, ConnectionBurstPerSource = 2 } }, time: time);
        using var a = await RawClient.ConnectAsync(server.EndPoint);
        Assert.Equal((byte)AuthMethod.None, await a.GreetAsync(AuthMethod.None));
        using var b = await RawClient.ConnectAsync(server.EndPoint);
        Assert.Equal((byte)AuthMethod.None, await b.GreetAsync(AuthMethod.None));

        using (var c = await RawClient.ConnectAsync(server.EndPoint))
        {
            Assert.True(await c.IsClosedByServerAsync(), "the third connection within the burst stays open");
        }

        await server.WaitForLineAsync(l => l.Contains("limit connections_per_second_per_source=1 (burst 2) reached for 127.0.0.1", StringComparison.Ordinal));
        using (var other = await RawClient.ConnectAsync(server.EndPoint, OtherSource))
        {
            Assert.Equal((byte)AuthMethod.None, await other.GreetAsync(AuthMethod.None));
        }

        time.Advance(TimeSpan.FromSeconds(1));
        using var d = await RawClient.ConnectAsync(server.EndPoint);
        Assert.Equal((byte)AuthMethod.None, await d.GreetAsync(AuthMethod.None));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Bandwidth_per_rule_down_holds_a_transfer_to_its_rate_and_an_unlimited_one_is_not_slowed(bool limited)
    {
        const int rate = 64 * 1024;
        const int size = 192 * 1024;
        await using var server = TestServer.Start(o => limited ? o with { Limits = o.Limits with { BandwidthPerRuleDown = rate } } : o);
        await using var echo = new EchoServer(IPAddress.Loopback);
        using var client = await RawClient.ConnectAsync(server.EndPoint);
        Assert.Equal(Socks5ReplyCode.Succeeded, (await client.ConnectSocks5Async(SocksEndpoint.FromEndPoint(echo.EndPoint))).Code);

        var payload = new byte[size];
        Random.Shared.NextBytes(payload);
        var clock = Stopwatch.StartNew();
        var sending = client.Socket.SendAsync(payload, SocketFlags.None);
        var echoed = await client.ReadExactlyAsync(size);
        await sending;
        clock.Stop();

        Assert.Equal(payload, echoed);
        // A second's worth passes at once; the other 128 KiB at 64 KiB/s take 2 s.
        if (limited)
        {
            Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.6), TimeSpan.FromSeconds(8));
        }
        else
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1.2), $"unlimited transfer took {clock.Elapsed}");
        }
    }
}
