using System.Net;
using Microsoft.Extensions.Time.Testing;
using Windsock.Server.Authentication;
using Xunit;

namespace Windsock.Server.Tests.Authentication;

/// <summary>The login throttle on a fake clock: free failures, doubling waits, decay, bounded memory.</summary>
public sealed class LoginThrottleTests
{
    private static readonly IPAddress Guesser = IPAddress.Parse("192.0.2.66");
    private static readonly IPAddress Office = IPAddress.Parse("198.51.100.7");

    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-02T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    private static LoginThrottleOptions Options(int perSource = 3, int perUser = 100, int maxEntries = 10_000) => new()
    {
        FreeFailuresPerSource = perSource,
        FreeFailuresPerUser = perUser,
        FirstDelay = TimeSpan.FromSeconds(1),
        MaxDelay = TimeSpan.FromSeconds(8),
        ForgiveOneFailureAfter = TimeSpan.FromMinutes(1),
        MaxEntries = maxEntries,
    };

    /// <summary>One attempt that fails at once, returning the wait it was given.</summary>
    private static TimeSpan Fail(LoginThrottle throttle, IPAddress from, string user)
    {
        var attempt = throttle.Begin(from, user);
        throttle.End(attempt, LoginOutcome.Failed);
        return attempt.Wait;
    }

    [Fact]
    public void A_source_fails_freely_a_few_times_then_waits_double_per_failure_up_to_the_maximum()
    {
        var throttle = new LoginThrottle(_time, Options(perSource: 3));
        var waits = new List<double>();
        for (int i = 0; i < 8; i++)
        {
            waits.Add(Fail(throttle, Guesser, $"user{i}").TotalSeconds);
        }

        // Different names each time: the source alone is counted (a spray across names).
        Assert.Equal([0, 0, 0, 1, 2, 4, 8, 8], waits);
    }

    [Fact]
    public void The_wait_passes_with_time_and_failures_are_forgiven_one_a_minute()
    {
        var throttle = new LoginThrottle(_time, Options(perSource: 3));
        for (int i = 0; i < 5; i++)
        {
            Fail(throttle, Guesser, "alice");
        }

        var delayed = throttle.Begin(Guesser, "alice");
        Assert.Equal(TimeSpan.FromSeconds(4), delayed.Wait);
        throttle.End(delayed, LoginOutcome.NotTried); // the client gave up: no failure added
        _time.Advance(TimeSpan.FromSeconds(4));
        var attempt = throttle.Begin(Guesser, "alice");
        Assert.Equal(TimeSpan.Zero, attempt.Wait);
        throttle.End(attempt, LoginOutcome.NotTried);

        // Four minutes later one of the five failures still counts; one more stays below the free three.
        _time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(TimeSpan.Zero, Fail(throttle, Guesser, "alice"));
        Assert.Equal(TimeSpan.Zero, throttle.Begin(Guesser, "alice").Wait);
    }

    [Fact]
    public void Failures_a_second_apart_add_up_as_whole_failures()
    {
        // Decay is continuous, but a failure counts fully until a whole minute has forgiven it.
        var throttle = new LoginThrottle(_time, Options(perSource: 2));
        var waits = new List<double>();
        for (int i = 0; i < 4; i++)
        {
            waits.Add(Fail(throttle, Guesser, "alice").TotalSeconds);
            _time.Advance(TimeSpan.FromMilliseconds(100));
        }

        Assert.Equal([0, 0, 0.9, 1.9], waits.Select(w => Math.Round(w, 1)));
    }

    [Fact]
    public void Another_source_is_not_slowed_by_a_guessing_one()
    {
        var throttle = new LoginThrottle(_time, Options(perSource: 3));
        for (int i = 0; i < 10; i++)
        {
            Fail(throttle, Guesser, $"name{i}");
        }

        Assert.True(throttle.Begin(Guesser, "bob").Wait > TimeSpan.Zero);
        Assert.Equal(TimeSpan.Zero, throttle.Begin(Office, "bob").Wait);
    }

    [Fact]
    public void A_user_name_guessed_from_many_sources_is_throttled_the_same_whether_it_exists_or_not()
    {
        // The throttle never learns whether a name exists: "alice" (real) and "nobody" (unknown) are alike.
        var throttle = new LoginThrottle(_time, Options(perSource: 100, perUser: 2));
        var aliceWaits = new List<TimeSpan>();
        var nobodyWaits = new List<TimeSpan>();
        for (int i = 0; i < 6; i++)
        {
            aliceWaits.Add(Fail(throttle, IPAddress.Parse($"203.0.113.{i + 1}"), "alice"));
            nobodyWaits.Add(Fail(throttle, IPAddress.Parse($"203.0.113.{i + 101}"), "nobody"));
        }

        Assert.Equal(aliceWaits, nobodyWaits);
        Assert.Equal([0, 0, 1, 2, 4, 8], aliceWaits.Select(w => w.TotalSeconds));
    }

    [Fact]
    public void A_right_password_clears_its_user_name_but_not_its_source()
    {
        var throttle = new LoginThrottle(_time, Options(perSource: 2, perUser: 2));
        for (int i = 0; i < 3; i++)
        {
            Fail(throttle, Guesser, "alice");
        }

        var attempt = throttle.Begin(Office, "alice");
        Assert.True(attempt.Wait > TimeSpan.Zero);
        throttle.End(attempt, LoginOutcome.Accepted); // waited out by the session, then the right password

        Assert.Equal(TimeSpan.Zero, throttle.Begin(Office, "alice").Wait);
        Assert.True(throttle.Begin(Guesser, "carol").Wait > TimeSpan.Zero);
    }

    [Fact]
    public void Pipelined_attempts_still_being_checked_count_so_a_burst_is_spread_out()
    {
        var throttle = new LoginThrottle(_time, Options(perSource: 3));
        var burst = Enumerable.Range(0, 7).Select(i => throttle.Begin(Guesser, $"u{i}")).ToList();

        // None has failed yet, but the fourth and later wait as if the ones before them had.
        Assert.Equal([0, 0, 0, 1, 2, 4, 8], burst.Select(a => a.Wait.TotalSeconds));
        Assert.True(burst[3].FirstForSource);
        Assert.All(burst.Skip(4), a => Assert.False(a.FirstForSource));
    }

    [Fact]
    public void The_throttling_is_reported_once_per_source_until_it_has_been_quiet()
    {
        var throttle = new LoginThrottle(_time, Options(perSource: 1));
        var firsts = new List<bool>();
        for (int i = 0; i < 6; i++)
        {
            var attempt = throttle.Begin(Guesser, $"u{i}");
            firsts.Add(attempt.FirstForSource);
            _time.Advance(attempt.Wait);
            throttle.End(attempt, LoginOutcome.Failed);
        }

        Assert.Equal([false, true, false, false, false, false], firsts);

        // Quiet long enough for every failure to be forgiven: a new episode is reported again.
        _time.Advance(TimeSpan.FromMinutes(10));
        Fail(throttle, Guesser, "u");
        Assert.True(throttle.Begin(Guesser, "u").FirstForSource);
    }

    [Fact]
    public void Memory_is_bounded_by_the_entry_cap_however_many_names_and_sources_come()
    {
        var throttle = new LoginThrottle(_time, Options(perSource: 3, perUser: 3, maxEntries: 50));
        for (int i = 0; i < 2_000; i++)
        {
            Fail(throttle, new IPAddress(0x0A000000u + (uint)i), $"name-{i}");
        }

        Assert.True(throttle.Tracked.Sources <= 50, $"{throttle.Tracked.Sources} sources tracked");
        Assert.True(throttle.Tracked.Users <= 50, $"{throttle.Tracked.Users} user names tracked");

        // The busiest key survives the churn: a source that keeps failing stays throttled.
        var throttle2 = new LoginThrottle(_time, Options(perSource: 3, maxEntries: 50));
        for (int i = 0; i < 10; i++)
        {
            Fail(throttle2, Guesser, "x");
        }

        for (int i = 0; i < 500; i++)
        {
            Fail(throttle2, new IPAddress(0x0A000000u + (uint)i), "y");
        }

        Assert.True(throttle2.Begin(Guesser, "z").Wait > TimeSpan.Zero);
    }

    [Fact]
    public void An_IPv6_source_is_counted_per_64_so_hopping_addresses_does_not_help()
    {
        var throttle = new LoginThrottle(_time, Options(perSource: 3));
        for (int i = 1; i <= 4; i++)
        {
            Fail(throttle, IPAddress.Parse($"2001:db8:1:2::{i:x}"), $"u{i}");
        }

        var attempt = throttle.Begin(IPAddress.Parse("2001:db8:1:2:ffff::9"), "v");
        Assert.Equal(TimeSpan.FromSeconds(2), attempt.Wait);
        Assert.Equal("2001:db8:1:2::/64", attempt.Source.ToString());
        Assert.Equal(TimeSpan.Zero, throttle.Begin(IPAddress.Parse("2001:db8:1:3::1"), "v").Wait);
    }
}
