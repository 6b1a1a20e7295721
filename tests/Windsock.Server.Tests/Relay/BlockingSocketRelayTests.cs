using System.Net.Sockets;
using Windsock.Server.Relay;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Relay;

/// <summary>
/// A relay whose source socket never had an asynchronous operation, as BIND's accepted peer: .NET leaves such a
/// descriptor blocking, and a parked direction reads it with splice(2) itself, not with a .NET receive. The
/// burst's closing splice must end on EAGAIN; on a blocking socket it sleeps in the kernel holding a thread-pool
/// thread until the next byte, and enough of those starve the pool (the merged bug ParkedSocket's constructor now
/// prevents by making its socket non-blocking).
/// </summary>
[Collection(RelayParking.Name)]
public class BlockingSocketRelayTests
{
    // How long each burst may take end to end: loopback, some dozens of sessions of 96 KiB; unblocked it is
    // milliseconds even under load, starved it waits for the thread pool to inject a thread per direction held in the
    // kernel (about two a second).
    private static readonly TimeSpan BurstBound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Two_bursts_from_never_async_sockets_separated_by_an_idle_period_all_arrive()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "parking and splice(2) are Linux only");
        // More sessions than the pool has threads now plus what it injects within the bound, so directions held in
        // the kernel show as bursts that do not arrive rather than as a few threads fewer (the pool has grown to
        // dozens by the time this runs in the whole suite; 2 per core when alone).
        int sessions = Math.Max(48, ThreadPool.ThreadCount + 32);
        long parkedBefore = ReadinessWaits.Parked;
        var rigs = new List<RelayRig>();
        try
        {
            for (int i = 0; i < sessions; i++)
            {
                // The client's inner end is freshly accepted and was never used asynchronously: still blocking.
                rigs.Add(await RelayRig.StartAsync(RelayMode.Splice, configure: rig =>
                    Assert.Equal(0, FileStatusFlags.Get(rig.ClientInner) & FileStatusFlags.NonBlocking)));
            }

            // Idle from the start: every direction parked, so the first burst is read by the pump's own splice.
            await ParkedRelayTests.WaitForParkedAsync(parkedBefore + (2 * sessions));
            await SendBurstAsync(rigs, seed: 1);

            // Quiet for longer than a busy direction's window, so the next wait of each direction parks again.
            await Task.Delay(ParkedSocket.BusyWindow * 2);
            await SendBurstAsync(rigs, seed: 2);
        }
        finally
        {
            foreach (var rig in rigs)
            {
                await rig.DisposeAsync();
            }
        }
    }

    /// <summary>Each session's client sends its own bytes; all must reach their destinations whole within <see cref="BurstBound"/>.</summary>
    private static async Task SendBurstAsync(List<RelayRig> rigs, int seed)
    {
        var started = TimeProvider.System.GetTimestamp();
        var bursts = rigs.Select(async (rig, i) =>
        {
            var bytes = SpliceRelayTests.RandomBytes((96 * 1024) + i, seed: (seed * 1000) + i);
            var arriving = SpliceRelayTests.ReadExactlyAsync(rig.DestinationOuter, bytes.Length);
            await rig.ClientOuter.SendAsync(bytes, SocketFlags.None);
            return (Sent: bytes, Arrived: await arriving);
        }).ToArray();

        try
        {
            var results = await Task.WhenAll(bursts).WaitAsync(BurstBound);
            Assert.All(results, r => Assert.True(r.Sent.AsSpan().SequenceEqual(r.Arrived)));
        }
        catch (TimeoutException)
        {
            int arrived = bursts.Count(b => b.IsCompletedSuccessfully);
            Assert.Fail($"burst {seed}: {arrived} of {rigs.Count} sessions' bytes arrived within {BurstBound.TotalSeconds} s");
        }

        Assert.True(TimeProvider.System.GetElapsedTime(started) < BurstBound);
    }
}
