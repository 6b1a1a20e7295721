using Windsock.Server.Authentication;

namespace Windsock.Server.Configuration;

/// <summary>
/// The <c>[limits]</c> section: caps that keep one client (or one source of a flood) from exhausting the
/// server before it has authenticated or through BIND (on by default, far above what a normal client
/// uses), and the site's own limits on sessions, connection rates, UDP rates and bandwidth (off unless
/// set). docs/configuration.md lists them; Limits/ enforces them.
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

    /// <summary>The smallest <see cref="GssapiTokenUnauthenticated"/> accepted: an MIT Kerberos token is 724 bytes.</summary>
    public const int MinUnauthenticatedGssapiToken = 1024;

    /// <summary>The smallest bandwidth limit: below it a paced relay would wait seconds per small packet.</summary>
    public const long MinBandwidth = 1024;

    public static ClientLimits Default { get; } = new();

    /// <summary>
    /// Sessions one source (IPv4 address or IPv6 /64) may hold from accept until its request is read
    /// (authentication included). A browser opens a few dozen connections at once; a NAT gateway or a
    /// parallel downloader may open a couple of hundred in the same instant, which must still pass.
    /// </summary>
    public int UnauthenticatedPerSource { get; init; } = 256;

    /// <summary>BIND listeners one source may have open at once (an FTP client in active mode uses one per transfer).</summary>
    public int BindPerSource { get; init; } = 32;

    /// <summary>
    /// The largest GSSAPI token taken before authentication, at most <see cref="MaxUnauthenticatedGssapiToken"/>
    /// (the handshake buffer's bound); a site without Active Directory may lower it.
    /// </summary>
    public int GssapiTokenUnauthenticated { get; init; } = MaxUnauthenticatedGssapiToken;

    /// <summary>How failed logins are slowed down, per source and per user name.</summary>
    public LoginThrottleOptions Logins { get; init; } = LoginThrottleOptions.Default;

    /// <summary>Decided sessions (CONNECT, BIND, UDP ASSOCIATE) at once, overall; null: no limit.</summary>
    public int? Sessions { get; init; }

    /// <summary>Decided sessions at once per authenticated user (or ident-confirmed SOCKS4 user id).</summary>
    public int? SessionsPerUser { get; init; }

    /// <summary>Decided sessions at once per source network (<see cref="SourcePrefixIPv4"/>, <see cref="SourcePrefixIPv6"/>).</summary>
    public int? SessionsPerSource { get; init; }

    /// <summary>Decided sessions at once per access rule (each rule counts the sessions it allowed).</summary>
    public int? SessionsPerRule { get; init; }

    /// <summary>New connections per second per source network: the rate of a token bucket.</summary>
    public double? ConnectionsPerSecondPerSource { get; init; }

    /// <summary>The bucket's size: connections a source may open at once after being quiet. Default: twice the rate, at least 1.</summary>
    public int? ConnectionBurstPerSource { get; init; }

    /// <summary>UDP datagrams per second per association, each direction counted together; beyond it datagrams are dropped.</summary>
    public double? UdpDatagramsPerSecond { get; init; }

    /// <summary>Bytes per second per user, client to destination, shared by all the user's sessions.</summary>
    public long? BandwidthPerUserUp { get; init; }

    /// <summary>Bytes per second per user, destination to client.</summary>
    public long? BandwidthPerUserDown { get; init; }

    /// <summary>Bytes per second per rule, client to destination, shared by all sessions the rule allowed.</summary>
    public long? BandwidthPerRuleUp { get; init; }

    /// <summary>Bytes per second per rule, destination to client.</summary>
    public long? BandwidthPerRuleDown { get; init; }

    /// <summary>
    /// How per-source limits group IPv4 clients: 32 counts each address, 24 each /24. Applies to
    /// <see cref="SessionsPerSource"/> and the connection rate; the handshake and BIND caps stay per address or /64.
    /// </summary>
    public int SourcePrefixIPv4 { get; init; } = 32;

    /// <summary>The same for IPv6; 64 by default, since one host may use any address of its /64.</summary>
    public int SourcePrefixIPv6 { get; init; } = 64;

    /// <summary>True when any limit on decided sessions or their bandwidth is set (the hot path skips the rest).</summary>
    public bool LimitsSessions =>
        Sessions is not null || SessionsPerUser is not null || SessionsPerSource is not null || SessionsPerRule is not null || LimitsBandwidth;

    /// <summary>True when a bandwidth limit is set.</summary>
    public bool LimitsBandwidth =>
        BandwidthPerUserUp is not null || BandwidthPerUserDown is not null || BandwidthPerRuleUp is not null || BandwidthPerRuleDown is not null;
}
