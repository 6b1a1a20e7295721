using Windsock.Server.Authentication;

namespace Windsock.Server.Configuration;

/// <summary>
/// Per-client caps that keep one client (or one source of a flood) from exhausting the server before
/// it has authenticated or through BIND. Fixed defaults for now, far above what a normal client uses;
/// not read from the configuration file yet (the limits issue will make them settable).
/// </summary>
public sealed record ClientLimits
{
    public static ClientLimits Default { get; } = new();

    /// <summary>
    /// Sessions one source (IPv4 address or IPv6 /64) may hold from accept until its request is read
    /// (authentication included). A browser opens a few dozen connections at most at once.
    /// </summary>
    public int UnauthenticatedPerSource { get; init; } = 64;

    /// <summary>BIND listeners one source may have open at once (an FTP client in active mode uses one per transfer).</summary>
    public int BindPerSource { get; init; } = 32;

    /// <summary>How failed logins are slowed down, per source and per user name.</summary>
    public LoginThrottleOptions Logins { get; init; } = LoginThrottleOptions.Default;
}
