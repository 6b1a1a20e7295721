using System.Net.Sockets;
using Windsock.Server.Relay;
using Xunit;

namespace Windsock.Server.Tests.Relay;

/// <summary>
/// The relay core's own rules, the same for every strategy: both pumps awaited whatever either does, the
/// first failure decides the end and stops the other direction, a refusal keeps its reason.
/// The pumps here are scripted on one side and the real copy loop on the other, between real loopback sockets.
/// </summary>
public class RelayCoreTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_pump_that_throws_a_bug_stops_the_other_direction_and_the_bug_reaches_the_session()
    {
        var copyDown = CopyStrategy.For(4096);
        var strategy = new ScriptedStrategy(
            up: (_, _) => throw new InvalidOperationException("bug in the upstream pump"),
            down: copyDown.PumpAsync);

        await using var rig = await RelayRig.StartAsync(strategy);

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => rig.Relay.WaitAsync(Bound));
        Assert.Equal("bug in the upstream pump", thrown.Message);

        // The downstream copy loop was waiting on the destination: the stop completed it, so the relay ended
        // at all (the wait above would otherwise time out), and the client sees its connection shut.
        Assert.Equal(0, await rig.ClientOuter.ReceiveAsync(new byte[1]).WaitAsync(Bound));
    }

    [Fact]
    public async Task A_socket_error_out_of_a_pump_is_its_source_sides_failure()
    {
        var strategy = new ScriptedStrategy(
            up: CopyStrategy.For(4096).PumpAsync,
            down: (_, _) => throw new SocketException((int)SocketError.ConnectionReset));

        await using var rig = await RelayRig.StartAsync(strategy);

        Assert.Equal(RelayEnd.DestinationError, await rig.Relay.WaitAsync(Bound));
    }

    [Fact]
    public async Task A_refusal_ends_the_relay_as_protection_failed_with_its_reason()
    {
        var strategy = new ScriptedStrategy(
            up: (relay, _) =>
            {
                relay.Refuse("gssapi: tampered message");
                relay.Fail(RelaySide.Client); // a later failure does not replace the first
                return Task.CompletedTask;
            },
            down: CopyStrategy.For(4096).PumpAsync);

        await using var rig = await RelayRig.StartAsync(strategy);

        Assert.Equal(RelayEnd.ProtectionFailed, await rig.Relay.WaitAsync(Bound));
        Assert.Equal("gssapi: tampered message", rig.Refusal);
    }

    [Theory]
    [InlineData(RelaySide.Protection, true, true, RelayEnd.ProtectionFailed)]
    [InlineData(RelaySide.Client, true, true, RelayEnd.IdleTimeout)]
    [InlineData(RelaySide.Destination, false, true, RelayEnd.Shutdown)]
    [InlineData(RelaySide.Client, false, false, RelayEnd.ClientError)]
    [InlineData(RelaySide.Destination, false, false, RelayEnd.DestinationError)]
    [InlineData(RelaySide.None, false, false, RelayEnd.Closed)]
    internal void The_end_says_what_explains_it_best(RelaySide firstFailure, bool idleExpired, bool shutdown, RelayEnd expected)
    {
        Assert.Equal(expected, TcpRelay.Result((int)firstFailure, idleExpired, shutdown));
    }

    private sealed class ScriptedStrategy(Func<TcpRelay, RelayDirection, Task> up, Func<TcpRelay, RelayDirection, Task> down) : RelayStrategy
    {
        public override string Name => "scripted";

        public override Task PumpAsync(TcpRelay relay, RelayDirection direction) => direction.Upstream ? up(relay, direction) : down(relay, direction);
    }
}
