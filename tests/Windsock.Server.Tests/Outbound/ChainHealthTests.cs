using Microsoft.Extensions.Time.Testing;
using Windsock.Server.Outbound;
using Xunit;

namespace Windsock.Server.Tests.Outbound;

/// <summary>An upstream chain's health: max failures in a row take it down for the retry time, after which its next outcome decides.</summary>
public sealed class ChainHealthTests
{
    private static readonly TimeSpan Retry = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-02T22:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public void Failures_below_the_maximum_keep_the_chain_in_use()
    {
        var health = new ChainHealth(3, Retry, _time);

        Assert.False(health.Failed("refused"));
        Assert.False(health.Failed("refused"));

        Assert.True(health.IsAvailable);
        Assert.Equal("up, 2 of 3 failures (last: refused)", health.Describe());
    }

    [Fact]
    public void The_maximum_takes_it_down_until_the_retry_time_has_passed()
    {
        var health = new ChainHealth(3, Retry, _time);
        health.Failed("a");
        health.Failed("b");

        Assert.True(health.Failed("c"));
        Assert.False(health.IsAvailable);
        Assert.Equal("down for 30s more after 3 failures (last: c)", health.Describe());

        _time.Advance(Retry - TimeSpan.FromMilliseconds(1));
        Assert.False(health.IsAvailable);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(health.IsAvailable);
        Assert.Equal("on trial after 3 failures (last: c)", health.Describe());
    }

    [Fact]
    public void A_failure_on_trial_takes_it_down_again_at_once()
    {
        var health = new ChainHealth(3, Retry, _time);
        for (int i = 0; i < 3; i++)
        {
            health.Failed("refused");
        }

        _time.Advance(Retry);
        Assert.True(health.Failed("still refused"));

        Assert.False(health.IsAvailable);
        _time.Advance(Retry);
        Assert.True(health.IsAvailable);
    }

    [Fact]
    public void A_success_resets_the_count_and_says_it_is_back()
    {
        var health = new ChainHealth(2, Retry, _time);
        Assert.False(health.Failed("x"));
        Assert.False(health.Succeeded());
        Assert.False(health.Failed("x"));
        Assert.True(health.IsAvailable); // one failure after a success is 1 of 2, not 2

        Assert.True(health.Failed("x"));
        _time.Advance(Retry);
        Assert.True(health.Succeeded());

        Assert.Equal((0, "up"), (health.Failures, health.Describe()));
        Assert.False(health.Failed("x"));
        Assert.True(health.IsAvailable);
    }
}
