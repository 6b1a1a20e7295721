namespace Windsock.Server.Authentication;

/// <summary>
/// How <see cref="LoginThrottle"/> slows password guessing. The defaults let a site's users mistype
/// freely (a few failures cost nothing, and one failure a minute is forgiven) while a guesser is held to
/// about one guess a minute per source and per user name once its free failures are spent.
/// </summary>
public sealed record LoginThrottleOptions
{
    public static LoginThrottleOptions Default { get; } = new();

    /// <summary>Failures from one source (IPv4 address or IPv6 /64) before its attempts are delayed; sized for a NAT of many users.</summary>
    public int FreeFailuresPerSource { get; init; } = 10;

    /// <summary>Failures for one user name, from anywhere, before attempts for it are delayed.</summary>
    public int FreeFailuresPerUser { get; init; } = 5;

    /// <summary>The first delay; each further failure doubles it.</summary>
    public TimeSpan FirstDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>One failure is forgotten per this much time without new ones.</summary>
    public TimeSpan ForgiveOneFailureAfter { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Sources and user names each tracked at most; beyond it the quietest entries are forgotten.</summary>
    public int MaxEntries { get; init; } = 10_000;
}
