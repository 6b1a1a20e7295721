using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using Windsock.Server.Metrics;
using Windsock.Server.Relay;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Relay;

/// <summary>
/// Idle relay directions parked in the readiness epoll set (Linux): they must wake for data, a FIN, the idle timeout,
/// an administrator's end and the server's stop exactly as directions waiting in a .NET receive did. This is the relay of
/// the thread pool, which sessions whose handshake left the handshake loop take (and every session with the loop off):
/// these tests turn the loop off, so their servers' sessions relay here (the loop's own relay: LoopRelayTests). Alone in
/// their collection: the parked count is the process's, and one test turns parking off.
/// </summary>
[Collection(RelayParking.Name)]
public sealed class ParkedRelayTests : IDisposable
{
    private static readonly TimeSpan Bound = RelaySessions.Bound;

    public ParkedRelayTests()
    {
        Windsock.Server.Sessions.HandshakeLoop.Disabled = true;
    }

    public void Dispose() => Windsock.Server.Sessions.HandshakeLoop.Disabled = false;

    public static TheoryData<RelayMode> Modes => [RelayMode.Splice, RelayMode.Copy];

    [Fact]
    public void Parking_is_available_on_Linux()
    {
        Assert.Equal(OperatingSystem.IsLinux(), ReadinessWaits.IsAvailable);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Many_parked_sessions_all_woken_at_once_relay_their_bytes_exactly(RelayMode mode)
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "parking is Linux only");
        const int Sessions = 150;
        await using var server = TestServer.Start(o => o with { RelayMode = mode });
        await using var echo = new EchoServer(IPAddress.Loopback);
        long parkedBefore = ReadinessWaits.Parked;
        var clients = await RelaySessions.OpenAsync(server, echo, Sessions);
        try
        {
            // Every direction of every session is parked: nothing waits in a .NET receive.
            await WaitForParkedAsync(parkedBefore + (2 * Sessions));

            // All wake at once, each with its own bytes, both directions busy; each must come back whole.
            var exchanges = clients.Select((client, i) => RelaySessions.ExchangeAsync(client.Socket, SpliceRelayTests.RandomBytes(48 * 1024 + i, seed: i))).ToArray();
            var results = await Task.WhenAll(exchanges).WaitAsync(Bound);
            Assert.All(results, r => Assert.Equal(r.Sent, r.Received));
        }
        finally
        {
            RelaySessions.DisposeAll(clients);
        }
    }

    [Fact]
    public async Task Server_stop_ends_parked_sessions_promptly()
    {
        const int Sessions = 20;
        await using var server = TestServer.Start();
        await using var echo = new EchoServer(IPAddress.Loopback);
        var clients = await OpenParkedAsync(server, echo, Sessions);
        try
        {
            await server.Server.StopAsync(TimeSpan.Zero).WaitAsync(Bound);
            await RelaySessions.AssertAllClosedByServerAsync(clients);

            await RelaySessions.WaitForLinesAsync(server, "reason=\"server shutdown\"", Sessions);
        }
        finally
        {
            RelaySessions.DisposeAll(clients);
        }
    }

    [Fact]
    public async Task The_idle_timeout_ends_parked_sessions()
    {
        const int Sessions = 10;
        await using var server = TestServer.Start(o => o with { IdleTimeout = TimeSpan.FromMilliseconds(600) });
        await using var echo = new EchoServer(IPAddress.Loopback);
        var clients = await OpenParkedAsync(server, echo, Sessions, waitForParking: false);
        try
        {
            await RelaySessions.AssertAllClosedByServerAsync(clients);

            await RelaySessions.WaitForLinesAsync(server, "reason=\"idle timeout\"", Sessions);
        }
        finally
        {
            RelaySessions.DisposeAll(clients);
        }
    }

    [Fact]
    public async Task An_administrator_ending_a_parked_session_ends_that_one_only()
    {
        await using var server = TestServer.Start();
        await using var echo = new EchoServer(IPAddress.Loopback);
        var clients = await OpenParkedAsync(server, echo, 2);
        try
        {
            var live = server.Context.Metrics.Live.Snapshot();
            Assert.Equal(2, live.Count);
            Assert.True(live[0].End()); // what DELETE /api/sessions/ID does

            Assert.True(await clients[0].IsClosedByServerAsync(TimeSpan.FromSeconds(10)));
            await server.WaitForLineAsync(l => l.Contains(LiveSession.EndedReason, StringComparison.Ordinal));

            // The other one is still parked and still relays.
            await clients[1].SendAsync(7, 8, 9);
            Assert.Equal(new byte[] { 7, 8, 9 }, await clients[1].ReadExactlyAsync(3));
        }
        finally
        {
            RelaySessions.DisposeAll(clients);
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_fin_while_parked_half_closes_and_the_other_direction_keeps_flowing(RelayMode mode)
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "parking is Linux only");
        long parkedBefore = ReadinessWaits.Parked;
        await using var rig = await RelayRig.StartAsync(mode);
        await WaitForParkedAsync(parkedBefore + 2);

        rig.ClientOuter.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await rig.DestinationOuter.ReceiveAsync(new byte[16]).WaitAsync(Bound));

        // The destination's direction was parked too and still is: it wakes for the answer.
        var answer = SpliceRelayTests.RandomBytes(200 * 1024, seed: 5);
        var reading = SpliceRelayTests.ReadToEndAsync(rig.ClientOuter);
        await rig.DestinationOuter.SendAsync(answer, SocketFlags.None).WaitAsync(Bound);
        rig.DestinationOuter.Shutdown(SocketShutdown.Send);
        var answered = await reading.WaitAsync(Bound);
        Assert.True(answer.AsSpan().SequenceEqual(answered));
        Assert.Equal(RelayEnd.Closed, await rig.Relay.WaitAsync(Bound));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Every_byte_arrives_through_many_park_and_wake_cycles_both_ways(RelayMode mode)
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "parking is Linux only");
        const int Cycles = 100;
        var time = new FakeTimeProvider();
        long parkedBefore = ReadinessWaits.Parked;
        await using var rig = await RelayRig.StartAsync(mode, time, idleTimeout: TimeSpan.FromDays(1));
        long up = 0;
        long down = 0;
        for (int cycle = 0; cycle < Cycles; cycle++)
        {
            // Both directions parked again (a splice direction with no run pending: the wake starts the next one).
            await WaitForParkedAsync(parkedBefore + 2);

            // A quiet spell on the relay's clock: the wait after this burst parks again rather than staying a receive.
            time.Advance(ParkedSocket.BusyWindow + TimeSpan.FromMilliseconds(1));
            var toDestination = SpliceRelayTests.RandomBytes(1 + (cycle * 997 % 70_000), seed: cycle);
            var toClient = SpliceRelayTests.RandomBytes(1 + (cycle * 1_319 % 70_000), seed: 1_000 + cycle);
            var atDestination = SpliceRelayTests.ReadExactlyAsync(rig.DestinationOuter, toDestination.Length);
            var atClient = SpliceRelayTests.ReadExactlyAsync(rig.ClientOuter, toClient.Length);
            await Task.WhenAll(
                rig.ClientOuter.SendAsync(toDestination, SocketFlags.None),
                rig.DestinationOuter.SendAsync(toClient, SocketFlags.None)).WaitAsync(Bound);
            Assert.Equal(toDestination, await atDestination.WaitAsync(Bound));
            Assert.Equal(toClient, await atClient.WaitAsync(Bound));
            up += toDestination.Length;
            down += toClient.Length;
        }

        // The byte counts `windsock status` shows, and a clean end from the last park.
        await WaitForParkedAsync(parkedBefore + 2);
        Assert.Equal(up, rig.Record.BytesUp);
        Assert.Equal(down, rig.Record.BytesDown);
        rig.ClientOuter.Shutdown(SocketShutdown.Send);
        rig.DestinationOuter.Shutdown(SocketShutdown.Send);
        Assert.Equal(RelayEnd.Closed, await rig.Relay.WaitAsync(Bound));
        Assert.Equal(parkedBefore, ReadinessWaits.Parked);
    }

    [Fact]
    public async Task Without_parking_the_relay_waits_in_receives_and_works_the_same()
    {
        ReadinessWaits.Disabled = true;
        try
        {
            long parkedBefore = ReadinessWaits.Parked;
            await using var rig = await RelayRig.StartAsync(RelayMode.Splice);
            var bytes = SpliceRelayTests.RandomBytes(100 * 1024, seed: 6);
            var received = SpliceRelayTests.ReadExactlyAsync(rig.DestinationOuter, bytes.Length);
            await rig.ClientOuter.SendAsync(bytes, SocketFlags.None).WaitAsync(Bound);
            var arrived = await received.WaitAsync(Bound);
            Assert.True(bytes.AsSpan().SequenceEqual(arrived));
            Assert.Equal(parkedBefore, ReadinessWaits.Parked);
        }
        finally
        {
            ReadinessWaits.Disabled = false;
        }
    }

    private static async Task<List<RawClient>> OpenParkedAsync(TestServer server, EchoServer echo, int sessions, bool waitForParking = true)
    {
        long parkedBefore = ReadinessWaits.Parked;
        var clients = await RelaySessions.OpenAsync(server, echo, sessions);
        if (waitForParking && OperatingSystem.IsLinux())
        {
            await WaitForParkedAsync(parkedBefore + (2 * sessions));
        }

        return clients;
    }

    /// <summary>Bounded: the count the epoll set holds reaches <paramref name="expected"/>, or the test fails.</summary>
    internal static async Task WaitForParkedAsync(long expected)
    {
        using var bound = new CancellationTokenSource(Bound);
        while (ReadinessWaits.Parked < expected)
        {
            Assert.False(bound.IsCancellationRequested, $"parked {ReadinessWaits.Parked}, expected {expected}");
            await Task.Delay(10, CancellationToken.None);
        }
    }
}

/// <summary>The parking tests run alone: they count the process's parked directions and switch parking off once.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RelayParking
{
    public const string Name = "relay parking";
}
