using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Server.Metrics;
using Windsock.Server.Relay;
using Windsock.Server.Sessions;
using Windsock.Server.Tests.Sessions;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Relay;

/// <summary>
/// The relay on the handshake loop (Linux, the default): a plain CONNECT relays on the loop's threads, edge-triggered,
/// with small bursts copied and bulk spliced. It must move every byte in order both ways, pass half-closes on, hold
/// what a slow reader has not taken, and end for the idle timeout, an administrator, a failure and the server's stop
/// as the thread-pool relay does. Alone with the other loop tests: they count the process's loop relays.
/// </summary>
[Collection(HandshakeLoopCollection.Name)]
public sealed class LoopRelayTests
{
    private static readonly TimeSpan Bound = RelaySessions.Bound;

    public static TheoryData<RelayMode> Modes => [RelayMode.Splice, RelayMode.Copy];

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Many_idle_sessions_on_the_loop_all_woken_at_once_relay_their_bytes_exactly(RelayMode mode)
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the loop relay is Linux only");
        const int Sessions = 150;
        await using var server = TestServer.Start(o => o with { RelayMode = mode });
        await using var echo = new EchoServer(IPAddress.Loopback);
        long started = LoopRelay.Started;
        var clients = await RelaySessions.OpenAsync(server, echo, Sessions);
        try
        {
            // Every session relays on the loop.
            await RelaySessions.WaitForStartedAsync(started + Sessions);

            // All wake at once, each with its own bytes, both directions busy: more than a small burst, so a spliced
            // direction switches from copying to splicing in the middle of it. Each must come back whole.
            var exchanges = clients.Select((client, i) => RelaySessions.ExchangeAsync(client.Socket, SpliceRelayTests.RandomBytes((48 * 1024) + i, seed: i))).ToArray();
            var results = await Task.WhenAll(exchanges).WaitAsync(Bound);
            Assert.All(results, r => Assert.Equal(r.Sent, r.Received));
        }
        finally
        {
            RelaySessions.DisposeAll(clients);
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Small_messages_both_ways_arrive_in_order_and_are_counted(RelayMode mode)
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the loop relay is Linux only");
        await using var server = TestServer.Start(o => o with { RelayMode = mode });
        await using var destination = await Destination.StartAsync();
        using var client = await RawClient.ConnectAsync(server.EndPoint);
        Assert.Equal(Socks5ReplyCode.Succeeded, (await client.ConnectSocks5Async(SocksEndpoint.FromEndPoint(destination.EndPoint))).Code);
        using var peer = await destination.AcceptAsync().WaitAsync(Bound);

        // A conversation of short messages: each is a short read, which the relay takes as "drained" without asking
        // again; the next must still be seen.
        long up = 0;
        long down = 0;
        for (int i = 0; i < 200; i++)
        {
            var question = SpliceRelayTests.RandomBytes(1 + (i * 37 % 500), seed: i);
            await client.Socket.SendAsync(question, SocketFlags.None).WaitAsync(Bound);
            Assert.Equal(question, await SpliceRelayTests.ReadExactlyAsync(peer, question.Length).WaitAsync(Bound));
            var answer = SpliceRelayTests.RandomBytes(1 + (i * 53 % 700), seed: 10_000 + i);
            await peer.SendAsync(answer, SocketFlags.None).WaitAsync(Bound);
            Assert.Equal(answer, await SpliceRelayTests.ReadExactlyAsync(client.Socket, answer.Length).WaitAsync(Bound));
            up += question.Length;
            down += answer.Length;
        }

        // What the live session list shows. A burst is counted once its send returns, which may be a moment after the
        // peer has read it: the last answer's count is waited for (bounded), not assumed.
        var live = server.Context.Metrics.Live.Snapshot();
        Assert.Single(live);
        var record = live[0].Record;
        using (var settled = new CancellationTokenSource(Bound))
        {
            while ((record.BytesUp != up || record.BytesDown != down) && !settled.IsCancellationRequested)
            {
                await Task.Delay(10, CancellationToken.None);
            }
        }

        Assert.Equal(up, record.BytesUp);
        Assert.Equal(down, record.BytesDown);
        Assert.Equal(mode == RelayMode.Copy ? "copy" : "splice", record.RelayMode);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_client_fin_half_closes_and_the_answer_still_flows_to_the_end(RelayMode mode)
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the loop relay is Linux only");
        await using var server = TestServer.Start(o => o with { RelayMode = mode });
        await using var destination = await Destination.StartAsync();
        using var client = await RawClient.ConnectAsync(server.EndPoint);
        Assert.Equal(Socks5ReplyCode.Succeeded, (await client.ConnectSocks5Async(SocksEndpoint.FromEndPoint(destination.EndPoint))).Code);
        using var peer = await destination.AcceptAsync().WaitAsync(Bound);

        var request = SpliceRelayTests.RandomBytes(5_000, seed: 1);
        await client.Socket.SendAsync(request, SocketFlags.None).WaitAsync(Bound);
        client.Socket.Shutdown(SocketShutdown.Send);
        Assert.Equal(request, await SpliceRelayTests.ReadToEndAsync(peer).WaitAsync(Bound));

        // The destination answers after the client's FIN, with a bulk answer (spliced), then closes.
        var answer = SpliceRelayTests.RandomBytes(3 * 1024 * 1024, seed: 2);
        var reading = SpliceRelayTests.ReadToEndAsync(client.Socket);
        await peer.SendAsync(answer, SocketFlags.None).WaitAsync(Bound);
        peer.Shutdown(SocketShutdown.Send);
        var answered = await reading.WaitAsync(Bound);
        Assert.True(answer.AsSpan().SequenceEqual(answered));
        await server.WaitForLineAsync(l => l.Contains("reason=closed", StringComparison.Ordinal) && l.Contains($"bytes_down={answer.Length}", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_client_that_stops_reading_holds_the_relay_back_and_then_gets_every_byte(RelayMode mode)
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the loop relay is Linux only");
        await using var server = TestServer.Start(o => o with { RelayMode = mode });
        await using var destination = await Destination.StartAsync();
        using var client = await RawClient.ConnectAsync(server.EndPoint);
        client.Socket.ReceiveBufferSize = 16 * 1024;
        Assert.Equal(Socks5ReplyCode.Succeeded, (await client.ConnectSocks5Async(SocksEndpoint.FromEndPoint(destination.EndPoint))).Code);
        using var peer = await destination.AcceptAsync().WaitAsync(Bound);

        // Far more than the kernel buffers and a held pipe hold together (16 MiB did fit now and then, with the socket buffers
        // grown to their maxima): the destination's send can finish only once the client reads.
        var bytes = SpliceRelayTests.RandomBytes(64 * 1024 * 1024, seed: 3);
        var sending = Task.Run(async () =>
        {
            await peer.SendAsync(bytes, SocketFlags.None);
            peer.Shutdown(SocketShutdown.Send);
        });
        var stalled = await Task.WhenAny(sending, Task.Delay(TimeSpan.FromMilliseconds(500)));
        Assert.NotSame(sending, stalled); // back-pressure reached the destination

        // Meanwhile the other direction still works: the relay is not stuck, only this way waits.
        await client.Socket.SendAsync(new byte[] { 1, 2, 3 }, SocketFlags.None).WaitAsync(Bound);
        Assert.Equal(new byte[] { 1, 2, 3 }, await SpliceRelayTests.ReadExactlyAsync(peer, 3).WaitAsync(Bound));

        var received = await SpliceRelayTests.ReadToEndAsync(client.Socket).WaitAsync(Bound);
        await sending.WaitAsync(Bound);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(bytes)), Convert.ToHexString(SHA256.HashData(received)));
    }

    [Fact]
    public async Task A_destination_reset_ends_the_relay_as_a_destination_failure()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the loop relay is Linux only");
        await using var server = TestServer.Start();
        await using var destination = await Destination.StartAsync();
        using var client = await RawClient.ConnectAsync(server.EndPoint);
        Assert.Equal(Socks5ReplyCode.Succeeded, (await client.ConnectSocks5Async(SocksEndpoint.FromEndPoint(destination.EndPoint))).Code);
        using (var peer = await destination.AcceptAsync().WaitAsync(Bound))
        {
            peer.LingerState = new LingerOption(true, 0); // close sends RST
        }

        Assert.True(await client.IsClosedByServerAsync(TimeSpan.FromSeconds(10)));
        await server.WaitForLineAsync(l => l.Contains("reason=\"destination connection failed\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Server_stop_ends_sessions_relaying_on_the_loop_promptly()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the loop relay is Linux only");
        await using var server = TestServer.Start();
        await RelaySessions.AssertAllEndAsync(server, 20, "server shutdown", () => server.Server.StopAsync(TimeSpan.Zero).WaitAsync(Bound));
    }

    [Fact]
    public async Task The_idle_timeout_ends_sessions_relaying_on_the_loop()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the loop relay is Linux only");
        await using var server = TestServer.Start(o => o with { IdleTimeout = TimeSpan.FromMilliseconds(600) });
        await RelaySessions.AssertAllEndAsync(server, 10, "idle timeout", () => Task.CompletedTask);
    }

    [Fact]
    public async Task An_administrator_ending_a_session_on_the_loop_ends_that_one_only()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the loop relay is Linux only");
        await using var server = TestServer.Start();
        await using var echo = new EchoServer(IPAddress.Loopback);
        long started = LoopRelay.Started;
        var clients = await RelaySessions.OpenAsync(server, echo, 2);
        try
        {
            await RelaySessions.WaitForStartedAsync(started + 1);
            var live = server.Context.Metrics.Live.Snapshot();
            Assert.Equal(2, live.Count);
            Assert.True(live[0].End()); // what DELETE /api/sessions/ID does

            var ended = clients.Single(c => c.Socket.LocalEndPoint!.Equals(live[0].Record.Client));
            var other = clients.Single(c => !ReferenceEquals(c, ended));
            Assert.True(await ended.IsClosedByServerAsync(TimeSpan.FromSeconds(10)));
            await server.WaitForLineAsync(l => l.Contains(LiveSession.EndedReason, StringComparison.Ordinal));

            await other.SendAsync(7, 8, 9);
            Assert.Equal(new byte[] { 7, 8, 9 }, await other.ReadExactlyAsync(3));
        }
        finally
        {
            RelaySessions.DisposeAll(clients);
        }
    }

    [Fact]
    public async Task With_the_loop_off_a_plain_session_relays_on_the_thread_pool_the_same()
    {
        await using var echo = new EchoServer(IPAddress.Loopback);
        HandshakeLoop.Disabled = true;
        try
        {
            await using var server = TestServer.Start();
            long started = LoopRelay.Started;
            using var client = await RawClient.ConnectAsync(server.EndPoint);
            Assert.Equal(Socks5ReplyCode.Succeeded, (await client.ConnectSocks5Async(SocksEndpoint.FromEndPoint(echo.EndPoint))).Code);
            var bytes = SpliceRelayTests.RandomBytes(100_000, seed: 9);
            var result = await RelaySessions.ExchangeAsync(client.Socket, bytes).WaitAsync(Bound);
            Assert.Equal(result.Sent, result.Received);
            Assert.Equal(started, LoopRelay.Started);
        }
        finally
        {
            HandshakeLoop.Disabled = false;
        }
    }

    /// <summary>A loopback destination whose accepted connections the test drives itself.</summary>
    private sealed class Destination : IAsyncDisposable
    {
        private readonly Socket _listener;

        private Destination(Socket listener) => _listener = listener;

        public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

        public static Task<Destination> StartAsync()
        {
            var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(16);
            return Task.FromResult(new Destination(listener));
        }

        public async Task<Socket> AcceptAsync() => await _listener.AcceptAsync();

        public ValueTask DisposeAsync()
        {
            _listener.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
