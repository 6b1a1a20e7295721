using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Server.Authentication;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Limits;

/// <summary>
/// Bandwidth limits on real transfers through a real server, one direction at a time: a destination the test
/// holds the other end of, so each direction's bytes are timed where they arrive. The rate bound is generous and
/// one-sided (a busy machine only slows a transfer): bytes that arrived in time T are at most
/// limit × T × 1.5 + the bucket's burst (one second's worth) + the chunks in flight. That a limit bites at all is
/// shown against the unlimited direction of the same session, which must beat the limited direction's floor.
/// </summary>
public sealed class BandwidthLimitsTests
{
    private const int Rate = 64 * 1024;

    /// <summary>Four seconds' worth: at least 1.9 s at the limit under the bound below, about 3 s in fact.</summary>
    private const int Size = 4 * Rate;

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private sealed class AnyUser : ICredentialVerifier
    {
        public ValueTask<CredentialVerdict> VerifyAsync(string userName, string password, IPAddress client, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new CredentialVerdict(password == "pw", "test"));
    }

    /// <summary>A session to a destination whose accepted socket the test holds.</summary>
    private sealed class Session : IDisposable
    {
        public required RawClient Client { get; init; }

        public required Socket Destination { get; init; }

        public void Dispose()
        {
            Client.Dispose();
            Destination.Dispose();
        }
    }

    private static async Task<Session> OpenAsync(TestServer server, Socket listener, string? user)
    {
        var client = await RawClient.ConnectAsync(server.EndPoint);
        if (user is null)
        {
            Assert.Equal((byte)AuthMethod.None, await client.GreetAsync(AuthMethod.None));
        }
        else
        {
            // A plain username/password session: no GSSAPI wrapping, the paced copy relay.
            Assert.Equal((byte)AuthMethod.UsernamePassword, await client.GreetAsync(AuthMethod.UsernamePassword));
            Assert.True(await client.LoginAsync(user, "pw"));
        }

        using var cts = new CancellationTokenSource(Bound);
        var accepting = listener.AcceptAsync(cts.Token);
        Assert.Equal(Socks5ReplyCode.Succeeded, (await client.RequestAsync(Socks5Command.Connect, SocksEndpoint.FromEndPoint((IPEndPoint)listener.LocalEndPoint!))).Code);
        return new Session { Client = client, Destination = await accepting };
    }

    private static Socket Listen()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(8);
        return listener;
    }

    /// <summary>Sends <see cref="Size"/> random bytes one way and returns how long until the last arrived, checking them.</summary>
    private static async Task<TimeSpan> TransferAsync(Session session, bool up)
    {
        var (from, to) = up ? (session.Client.Socket, session.Destination) : (session.Destination, session.Client.Socket);
        var payload = new byte[Size];
        Random.Shared.NextBytes(payload);
        using var cts = new CancellationTokenSource(Bound);
        var clock = Stopwatch.StartNew();
        var sending = from.SendAsync(payload, SocketFlags.None, cts.Token).AsTask();
        var received = new byte[Size];
        int read = 0;
        while (read < Size)
        {
            int n = await to.ReceiveAsync(received.AsMemory(read), SocketFlags.None, cts.Token);
            Assert.NotEqual(0, n);
            read += n;
        }

        clock.Stop();
        await sending;
        Assert.True(payload.AsSpan().SequenceEqual(received), "the bytes arrived changed");
        return clock.Elapsed;
    }

    /// <summary>The least time <paramref name="bytes"/> can take at <see cref="Rate"/> under the generous bound, for <paramref name="sessions"/> sessions' chunks in flight.</summary>
    private static TimeSpan Floor(long bytes, int sessions = 1) =>
        TimeSpan.FromSeconds((bytes - Rate - (sessions * Rate / 8.0)) / (Rate * 1.5));

    private static void AssertLimited(TimeSpan elapsed, long bytes, int sessions = 1)
    {
        Assert.True(elapsed >= Floor(bytes, sessions), $"{bytes} bytes in {elapsed.TotalSeconds:F2} s is faster than {Rate} B/s allows (floor {Floor(bytes, sessions).TotalSeconds:F2} s)");
        Assert.True(elapsed < TimeSpan.FromSeconds(20), $"{bytes} bytes took {elapsed.TotalSeconds:F2} s: the limited relay barely moves");
    }

    private static void AssertUnlimited(TimeSpan elapsed) =>
        Assert.True(elapsed < Floor(Size), $"the unlimited direction took {elapsed.TotalSeconds:F2} s, no faster than the limit's floor {Floor(Size).TotalSeconds:F2} s");

    [Fact]
    public async Task Bandwidth_per_rule_up_holds_client_to_destination_and_leaves_the_way_down_alone()
    {
        await using var server = TestServer.Start(o => o with { Limits = o.Limits with { BandwidthPerRuleUp = Rate } });
        using var listener = Listen();
        using var session = await OpenAsync(server, listener, user: null);

        // Down first: the up bucket is full meanwhile, so the up transfer starts with its whole burst, as the floor assumes.
        AssertUnlimited(await TransferAsync(session, up: false));
        AssertLimited(await TransferAsync(session, up: true), Size);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Bandwidth_per_user_holds_a_plain_login_session_in_its_direction_only(bool up)
    {
        await using var server = TestServer.Start(
            o => o with { Limits = up ? o.Limits with { BandwidthPerUserUp = Rate } : o.Limits with { BandwidthPerUserDown = Rate } },
            credentials: new AnyUser());
        using var listener = Listen();
        using var session = await OpenAsync(server, listener, "alice");

        AssertUnlimited(await TransferAsync(session, !up));
        AssertLimited(await TransferAsync(session, up), Size);
        var line = await server.WaitForLineAsync(l => l.Contains(" request ", StringComparison.Ordinal));
        Assert.Contains("auth=username", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_sessions_of_one_user_share_the_users_bucket()
    {
        await using var server = TestServer.Start(o => o with { Limits = o.Limits with { BandwidthPerUserDown = Rate } }, credentials: new AnyUser());
        using var listener = Listen();
        using var first = await OpenAsync(server, listener, "alice");
        using var second = await OpenAsync(server, listener, "alice");

        // Each alone would take about 3 s; drawing from one bucket, the two together take about 7 s. The floor for
        // their combined bytes (about 4.5 s) is one that two separate buckets (about 3 s) cannot meet.
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(TransferAsync(first, up: false), TransferAsync(second, up: false));
        clock.Stop();
        AssertLimited(clock.Elapsed, 2L * Size, sessions: 2);
    }
}
