using Windsock.Server.Authentication;

namespace Windsock.Server.Configuration;

/// <summary>
/// Per-client caps that keep one client (or one source of a flood) from exhausting the server before
/// it has authenticated or through BIND. Fixed defaults for now, far above what a normal client uses;
/// not read from the configuration file yet (the limits issue will make them settable).
/// </summary>
public sealed record ClientLimits
{
    /// <summary>
    /// The largest GSSAPI token taken before the client has authenticated: a message with it fills a
    /// 32 KiB pooled buffer exactly. A Kerberos initial token from an MIT realm is 724 bytes (measured
    /// in the tests with tests/Windsock.Testing/KerberosRealm); an Active Directory ticket grows with the user's groups
    /// (Microsoft's sizing: 1,200 + 40 per domain-local or foreign group + 8 per global group) and this
    /// covers about 790 domain-local groups or 3,900 global ones, well past Windows' former MaxTokenSize
    /// default of 12,000 bytes. RFC 1961 would allow 65,535: a peer that declares more than this is refused
    /// from the message header, before the buffer grows for it.
    /// </summary>
    public const int MaxUnauthenticatedGssapiToken = (32 * 1024) - 4;

    public static ClientLimits Default { get; } = new();

    /// <summary>
    /// Sessions one source (IPv4 address or IPv6 /64) may hold from accept until its request is read
    /// (authentication included). A browser opens a few dozen connections at once; a NAT gateway or a
    /// parallel downloader may open a couple of hundred in the same instant, which must still pass.
    /// </summary>
    public int UnauthenticatedPerSource { get; init; } = 256;

    /// <summary>BIND listeners one source may have open at once (an FTP client in active mode uses one per transfer).</summary>
    public int BindPerSource { get; init; } = 32;

    /// <summary>How failed logins are slowed down, per source and per user name.</summary>
    public LoginThrottleOptions Logins { get; init; } = LoginThrottleOptions.Default;
}
