using System.Net;
using Windsock.Server.Metrics;
using Windsock.Server.Relay;
using Windsock.Server.Sessions;
using Windsock.Server.Tests.Relay;
using Xunit;

namespace Windsock.Server.Tests.Sessions;

/// <summary>
/// The quiet collection compacts the whole heap under sessions that sit idle on the handshake loop: they must come out
/// of it relaying their bytes, and still end for an administrator, the idle timeout and the server's stop. Alone with
/// the other loop tests: they count the process's loop relays.
/// </summary>
[Collection(HandshakeLoopCollection.Name)]
public sealed class QuietCollectionTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Idle_loop_sessions_relay_after_the_collection_and_still_end_for_an_administrator_and_the_stop()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the loop relay is Linux only");
        const int Sessions = 20;
        await using var server = TestServer.Start();
        await using var echo = new EchoServer(IPAddress.Loopback);
        long started = LoopRelay.Started;
        var clients = await RelaySessions.OpenAsync(server, echo, Sessions);
        try
        {
            await RelaySessions.WaitForStartedAsync(started + Sessions);
            Assert.True(QuietCollection.Armed, "the first session arms the quiet checks");

            long collections = QuietCollection.Collections;
            QuietCollection.CollectNow();
            Assert.Equal(collections + 1, QuietCollection.Collections);

            // Every session moved in memory, none moved on the wire: each still echoes its own bytes.
            for (int i = 0; i < Sessions; i++)
            {
                await clients[i].SendAsync((byte)i, 1, 2, 3);
                Assert.Equal(new byte[] { (byte)i, 1, 2, 3 }, await clients[i].ReadExactlyAsync(4).WaitAsync(Bound));
            }

            var live = server.Context.Metrics.Live.Snapshot();
            Assert.True(live[0].End());
            var ended = clients.Single(c => c.Socket.LocalEndPoint!.Equals(live[0].Record.Client));
            Assert.True(await ended.IsClosedByServerAsync(TimeSpan.FromSeconds(10)));
            await server.WaitForLineAsync(l => l.Contains(LiveSession.EndedReason, StringComparison.Ordinal));

            QuietCollection.CollectNow();
            await server.Server.StopAsync(TimeSpan.Zero).WaitAsync(Bound);
            await RelaySessions.AssertAllClosedByServerAsync(clients.Where(c => !ReferenceEquals(c, ended)));

            await RelaySessions.WaitForLinesAsync(server, "reason=\"server shutdown\"", Sessions - 1);
        }
        finally
        {
            RelaySessions.DisposeAll(clients);
        }
    }

    [Fact]
    public async Task The_idle_timeout_ends_loop_sessions_that_sat_through_the_collection()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the loop relay is Linux only");
        await using var server = TestServer.Start(o => o with { IdleTimeout = TimeSpan.FromMilliseconds(800) });
        await RelaySessions.AssertAllEndAsync(server, 10, "idle timeout", () =>
        {
            QuietCollection.CollectNow();
            return Task.CompletedTask;
        });
    }
}
