using System.Net;
using Windsock.Server.Limits;

namespace Windsock.Server.Authentication;

/// <summary>
/// Slows password guessing, for every username/password back end (users file and PAM alike): failures
/// are counted per source (IPv4 address or IPv6 /64) and per user name, and once a key's free failures
/// are spent each attempt for it waits, the wait doubling per failure up to a maximum. The user name
/// counts whether or not it exists, so the throttle answers and waits alike for real and unknown users.
/// Time comes from a <see cref="TimeProvider"/>, so tests drive it.
/// </summary>
/// <remarks>
/// The wait happens before any password hash, so a throttled guesser costs no CPU. A right password
/// clears its user name's failures but not its source's: one valid account must not reset the count of
/// a source that sprays guesses across many names.
/// </remarks>
public sealed class LoginThrottle
{
    private readonly TimeProvider _time;
    private readonly FailureTable<SourceKey> _sources;
    private readonly FailureTable<string> _users;

    public LoginThrottle(TimeProvider time, LoginThrottleOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        Options = options ?? LoginThrottleOptions.Default;
        _sources = new FailureTable<SourceKey>(Options.FreeFailuresPerSource, Options);
        _users = new FailureTable<string>(Options.FreeFailuresPerUser, Options, StringComparer.Ordinal);
    }

    public LoginThrottleOptions Options { get; }

    /// <summary>Sources and user names tracked now (bounded by <see cref="LoginThrottleOptions.MaxEntries"/> each).</summary>
    internal (int Sources, int Users) Tracked => (_sources.Count, _users.Count);

    /// <summary>Starts an attempt; end it with <see cref="End"/> whatever happens.</summary>
    public LoginAttempt Begin(IPAddress client, string userName)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(userName);
        var now = _time.GetUtcNow();
        var source = SourceKey.From(client);
        var bySource = _sources.Begin(source, now);
        var byUser = _users.Begin(userName, now);
        return new LoginAttempt(source, userName, bySource.Wait > byUser.Wait ? bySource.Wait : byUser.Wait,
            bySource.Failures, byUser.Failures, bySource.FirstDelay, byUser.FirstDelay);
    }

    public void End(LoginAttempt attempt, LoginOutcome outcome)
    {
        var now = _time.GetUtcNow();
        _sources.End(attempt.Source, now, outcome, successClears: false);
        _users.End(attempt.UserName, now, outcome, successClears: true);
    }
}

/// <summary>One attempt as the throttle saw it when it began.</summary>
/// <param name="Source">Who it is counted against.</param>
/// <param name="UserName">As the client sent it.</param>
/// <param name="Wait">How long it must wait before it may be verified; zero when not throttled.</param>
/// <param name="SourceFailures">Recent failures from the source.</param>
/// <param name="UserFailures">Recent failures for the user name.</param>
/// <param name="FirstForSource">The source's first delayed attempt since it was quiet: log it once.</param>
/// <param name="FirstForUser">The user name's first delayed attempt since it was quiet: log it once.</param>
public readonly record struct LoginAttempt(
    SourceKey Source, string UserName, TimeSpan Wait, int SourceFailures, int UserFailures, bool FirstForSource, bool FirstForUser);
