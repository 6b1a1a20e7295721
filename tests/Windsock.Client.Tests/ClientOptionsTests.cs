using System.Diagnostics;
using System.Net;
using System.Text;
using Windsock.Client.Tests.Support;
using Xunit;

namespace Windsock.Client.Tests;

/// <summary>
/// SocksClientOptions: the handshake timeout that ends a call to a silent proxy without any token, and
/// the bounded wait for a Windsock server's reason after a failure reply. Against scripted peers.
/// </summary>
public class ClientOptionsTests
{
    /// <summary>Longer than any limit these tests set, far shorter than "never".</summary>
    private static readonly TimeSpan Ceiling = TimeSpan.FromSeconds(20);

    [Fact]
    public void The_defaults_are_the_documented_ones()
    {
        var options = SocksClientOptions.Default;
        Assert.Equal(TimeSpan.FromSeconds(10), options.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), options.HandshakeTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(500), options.DenialReasonTimeout);
        Assert.Null(options.Logger);
        Assert.Same(options, new SocksClient(new ProxyHop("127.0.0.1", 1080)).Options);
    }

    [Fact]
    public void Limits_are_positive_or_infinite()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SocksClientOptions { HandshakeTimeout = TimeSpan.Zero });
        Assert.Throws<ArgumentOutOfRangeException>(() => new SocksClientOptions { ConnectTimeout = TimeSpan.FromSeconds(-2) });
        Assert.Throws<ArgumentOutOfRangeException>(() => new SocksClientOptions { DenialReasonTimeout = TimeSpan.FromSeconds(-2) });
        Assert.Equal(Timeout.InfiniteTimeSpan, new SocksClientOptions { HandshakeTimeout = Timeout.InfiniteTimeSpan }.HandshakeTimeout);
        Assert.Equal(TimeSpan.Zero, new SocksClientOptions { DenialReasonTimeout = TimeSpan.Zero }.DenialReasonTimeout);
    }

    [Fact]
    public async Task A_proxy_that_accepts_and_says_nothing_times_out_by_itself_without_a_token()
    {
        await using var peer = new ScriptedPeer();
        var options = new SocksClientOptions { HandshakeTimeout = TimeSpan.FromMilliseconds(300) };
        var client = new SocksClient(new ProxyHop(peer.EndPoint), options);
        var clock = Stopwatch.StartNew();

        // No token: only the handshake timeout can end this. WaitAsync only keeps a regression from hanging the run.
        var connecting = client.ConnectAsync("example.org", 80);
        using (var cts = Bounded.Cts())
        {
            await peer.ExpectAsync([5, 2, 0, 0xE5], cts.Token);
        }

        var e = await Assert.ThrowsAsync<SocksException>(() => connecting.WaitAsync(Ceiling));
        Assert.Equal(SocksErrorKind.TimedOut, e.Kind);
        Assert.IsType<TimeoutException>(e.InnerException);
        Assert.Equal(0, e.HopIndex);
        Assert.Contains("SOCKS5 greeting", e.Message, StringComparison.Ordinal);
        Assert.Contains("HandshakeTimeout", e.Message, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(10));
        Assert.True(await peer.ClientClosedAsync(Bounded.Cts().Token), "the timed-out connection is closed");
    }

    [Fact]
    public async Task The_handshake_timeout_bounds_every_hop_of_a_chain_and_names_the_one_that_stalled()
    {
        await using var first = new ScriptedPeer();
        var chain = new ProxyChain(new ProxyHop(first.EndPoint), new ProxyHop("10.9.9.9", 1080));
        var client = new SocksClient(chain, new SocksClientOptions { HandshakeTimeout = TimeSpan.FromMilliseconds(300) });
        var connecting = client.ConnectStreamAsync(IPAddress.Loopback, 7);

        using var cts = Bounded.Cts();
        await first.ExpectAsync([5, 2, 0, 0xE5], cts.Token);
        await first.SendAsync([5, 0], cts.Token);
        await first.ExpectAsync([5, 1, 0, 1, 10, 9, 9, 9, 0x04, 0x38], cts.Token);
        // The first hop never answers the CONNECT to the second.

        var e = await Assert.ThrowsAsync<SocksException>(() => connecting.WaitAsync(Ceiling));
        Assert.Equal(SocksErrorKind.TimedOut, e.Kind);
        Assert.Equal(0, e.HopIndex);
        Assert.Contains("SOCKS5 reply", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_callers_token_still_wins_and_is_reported_as_the_callers()
    {
        await using var peer = new ScriptedPeer();
        var client = new SocksClient(new ProxyHop(peer.EndPoint));
        using var caller = new CancellationTokenSource();
        var connecting = client.ConnectAsync("example.org", 80, caller.Token);
        using (var cts = Bounded.Cts())
        {
            await peer.ExpectAsync([5, 2, 0, 0xE5], cts.Token);
        }

        await caller.CancelAsync();
        var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connecting.WaitAsync(Ceiling));
        Assert.Equal(caller.Token, e.CancellationToken);
    }

    [Fact]
    public async Task A_failure_from_a_proxy_that_keeps_the_connection_open_is_reported_after_the_reason_wait_not_two_seconds()
    {
        await using var peer = new ScriptedPeer();
        var client = new SocksClient(new ProxyHop(peer.EndPoint), new SocksClientOptions { DenialReasonTimeout = TimeSpan.FromMilliseconds(100) });
        var connecting = client.ConnectAsync(IPAddress.Loopback, 9);
        using var cts = Bounded.Cts();
        await peer.ExpectAsync([5, 2, 0, 0xE5], cts.Token);
        await peer.SendAsync([5, 0], cts.Token);
        await peer.ExpectAsync([5, 1, 0, 1, 127, 0, 0, 1, 0, 9], cts.Token);
        var clock = Stopwatch.StartNew();
        await peer.SendAsync([5, 2, 0, 1, 0, 0, 0, 0, 0, 0], cts.Token);

        // The peer stays open and silent: only the reason wait ends the read.
        var e = await Assert.ThrowsAsync<SocksException>(() => connecting.WaitAsync(Ceiling));
        Assert.Equal(SocksErrorKind.CommandFailed, e.Kind);
        Assert.Null(e.Reason);
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(1.5));
    }

    [Theory]
    [InlineData(5000, true)]
    [InlineData(0, false)]
    public async Task A_reason_that_comes_within_the_wait_is_read_and_a_zero_wait_reads_none(int waitMilliseconds, bool expectReason)
    {
        await using var peer = new ScriptedPeer();
        var client = new SocksClient(new ProxyHop(peer.EndPoint), new SocksClientOptions { DenialReasonTimeout = TimeSpan.FromMilliseconds(waitMilliseconds) });
        var connecting = client.ConnectAsync(IPAddress.Loopback, 9);
        using var cts = Bounded.Cts();
        await peer.ExpectAsync([5, 2, 0, 0xE5], cts.Token);
        await peer.SendAsync([5, 0], cts.Token);
        await peer.ExpectAsync([5, 1, 0, 1, 127, 0, 0, 1, 0, 9], cts.Token);
        await peer.SendAsync([5, 2, 0, 1, 0, 0, 0, 0, 0, 0], cts.Token);
        byte[] reason = Encoding.UTF8.GetBytes("port 9 is closed to you");
        await Task.Delay(200, cts.Token); // the reason comes late but within the wait
        try
        {
            await peer.SendAsync([1, 0, (byte)reason.Length, .. reason], cts.Token);
        }
        catch (System.Net.Sockets.SocketException) when (!expectReason)
        {
            // Without a wait the client has already closed the connection.
        }

        var e = await Assert.ThrowsAsync<SocksException>(() => connecting.WaitAsync(Ceiling));
        Assert.Equal(expectReason ? "port 9 is closed to you" : null, e.Reason);
    }

    [Fact]
    public async Task The_logger_gets_each_step_of_the_handshake()
    {
        await using var peer = new ScriptedPeer();
        var logger = new ListLogger();
        var client = new SocksClient(new ProxyHop(peer.EndPoint), new SocksClientOptions { Logger = logger });
        using var cts = Bounded.Cts();
        var connecting = client.ConnectAsync(IPAddress.Loopback, 9, cts.Token);
        await peer.ExpectAsync([5, 2, 0, 0xE5], cts.Token);
        await peer.SendAsync([5, 0], cts.Token);
        await peer.ExpectAsync([5, 1, 0, 1, 127, 0, 0, 1, 0, 9], cts.Token);
        await peer.SendAsync([5, 0, 0, 1, 127, 0, 0, 1, 0x1F, 0x90], cts.Token);
        using var socket = await connecting;

        Assert.Contains(logger.Lines, l => l.StartsWith($"socks5h://127.0.0.1:{peer.EndPoint.Port}: TCP connection to", StringComparison.Ordinal));
        Assert.Contains(logger.Lines, l => l.EndsWith("method: no authentication", StringComparison.Ordinal));
        Assert.Contains(logger.Lines, l => l.Contains("CONNECT 127.0.0.1:9 granted", StringComparison.Ordinal));
    }
}
