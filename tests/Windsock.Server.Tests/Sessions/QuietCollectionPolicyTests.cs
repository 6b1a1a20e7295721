using Windsock.Server.Sessions;
using Xunit;

namespace Windsock.Server.Tests.Sessions;

/// <summary>
/// When the server gives its committed memory back: only once allocation has stopped, only when enough was allocated
/// since the last time, and never more often than the policy's interval, whatever the ticks say.
/// </summary>
public sealed class QuietCollectionPolicyTests
{
    private const long Busy = QuietCollectionPolicy.QuietBytesPerTick * 4;
    private const long Quiet = QuietCollectionPolicy.QuietBytesPerTick / 4;

    [Fact]
    public void A_server_that_keeps_allocating_is_never_collected()
    {
        var policy = new QuietCollectionPolicy();
        long allocated = 0;
        Assert.False(policy.Tick(allocated));
        for (int tick = 0; tick < 1000; tick++)
        {
            allocated += Busy;
            Assert.False(policy.Tick(allocated));
        }
    }

    [Fact]
    public void After_a_burst_the_second_quiet_tick_collects_once()
    {
        var policy = new QuietCollectionPolicy();
        long allocated = 0;
        policy.Tick(allocated);
        allocated = Burst(policy, allocated);

        allocated += Quiet;
        Assert.False(policy.Tick(allocated)); // one quiet tick: perhaps a pause between two bursts
        allocated += Quiet;
        Assert.True(policy.Tick(allocated));
        policy.Collected(allocated);

        // Quiet from then on: nothing more to give back, so no collection however long it stays quiet.
        for (int tick = 0; tick < 200; tick++)
        {
            Assert.False(policy.Tick(allocated));
        }
    }

    [Fact]
    public void Too_little_allocated_since_the_last_collection_is_not_worth_one()
    {
        var policy = new QuietCollectionPolicy();
        long allocated = 0;
        policy.Tick(allocated);
        allocated += QuietCollectionPolicy.WorthBytes - 1; // one busy tick, just short of the threshold
        Assert.False(policy.Tick(allocated));
        for (int tick = 0; tick < 50; tick++)
        {
            Assert.False(policy.Tick(allocated));
        }

        allocated += 1; // a quiet tick that reaches it
        Assert.True(policy.Tick(allocated));
    }

    [Fact]
    public void Bursts_closer_than_the_interval_get_one_collection_per_interval()
    {
        var policy = new QuietCollectionPolicy();
        long allocated = 0;
        policy.Tick(allocated);
        int collections = 0;
        int ticks = 0;
        // A burst, two quiet ticks, again and again: 300 ticks of it.
        while (ticks < 300)
        {
            allocated += QuietCollectionPolicy.WorthBytes;
            ticks++;
            if (policy.Tick(allocated))
            {
                collections++;
                policy.Collected(allocated);
            }

            for (int quiet = 0; quiet < QuietCollectionPolicy.QuietTicks; quiet++)
            {
                ticks++;
                if (policy.Tick(allocated))
                {
                    collections++;
                    policy.Collected(allocated);
                }
            }
        }

        Assert.InRange(collections, 1, (ticks / QuietCollectionPolicy.MinTicksBetween) + 1);
    }

    [Fact]
    public void The_first_reading_is_neither_quiet_nor_busy()
    {
        // A server armed late, after the process had allocated plenty: that earlier allocation is not this policy's.
        var policy = new QuietCollectionPolicy();
        long allocated = 500L * 1024 * 1024;
        Assert.False(policy.Tick(allocated));
        for (int tick = 0; tick < 5; tick++)
        {
            Assert.False(policy.Tick(allocated));
        }
    }

    private static long Burst(QuietCollectionPolicy policy, long allocated)
    {
        for (int tick = 0; tick < 4; tick++)
        {
            allocated += QuietCollectionPolicy.WorthBytes;
            Assert.False(policy.Tick(allocated));
        }

        return allocated;
    }
}
