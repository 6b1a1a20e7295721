using Windsock.Protocol.Gssapi;

namespace Windsock.Server.Configuration;

/// <summary>
/// The <c>[gssapi]</c> section: GSSAPI (RFC 1961) with Kerberos. Setting <see cref="Keytab"/> turns the method
/// on; from then on every SOCKS5 client must authenticate (by GSSAPI, or by username/password when a users
/// file is set too) and SOCKS4 is refused.
/// </summary>
public sealed record GssapiOptions
{
    /// <summary>The levels a server accepts unless told otherwise: every protected one, never the unprotected "clear".</summary>
    public static IReadOnlyList<GssapiProtectionLevel> DefaultProtection { get; } =
        [GssapiProtectionLevel.Integrity, GssapiProtectionLevel.Confidentiality, GssapiProtectionLevel.Selective];

    /// <summary>The keytab holding the service's key (MIT's acceptor reads it; <c>KRB5_KTNAME</c> is not consulted).</summary>
    public string Keytab { get; init; } = "";

    /// <summary>
    /// The service principal clients must name ("rcmd/proxy.example.org@EXAMPLE.ORG", realm optional). When set,
    /// a ticket for any other service is refused before the acceptor sees it, whatever else the keytab holds.
    /// </summary>
    public string? ServicePrincipal { get; init; }

    /// <summary>The protection levels the server grants; a client asking for another is granted the strongest accepted lower one.</summary>
    public IReadOnlyList<GssapiProtectionLevel> Protection { get; init; } = DefaultProtection;
}
