using System.Globalization;
using System.Net.Security;
using Windsock.Client.Gssapi;
using Windsock.Protocol.Gssapi;

namespace Windsock.Client.Handshake;

/// <summary>A hop and its place in the chain: everything an error about it needs to say.</summary>
internal readonly record struct HopContext(int Index, int Count, ProxyHop Hop)
{
    private string Where => Count == 1
        ? $"{Hop}"
        : string.Create(CultureInfo.InvariantCulture, $"{Hop} (hop {Index + 1} of {Count})");

    public SocksException Unreachable(Exception? inner) =>
        new(SocksErrorKind.ProxyUnreachable, Index, Hop, null, null, null, $"Could not connect to the SOCKS proxy {Where}: {inner?.Message ?? "no address"}.", inner);

    public SocksException CommandFailed(ProxyCommand command, string destination, byte code, string meaning, string? reason = null) =>
        new(SocksErrorKind.CommandFailed, Index, Hop, destination, code, meaning,
            string.Create(CultureInfo.InvariantCulture, $"The SOCKS proxy {Where} refused {ProxyCommandNames.Of(command)} to {destination}: reply {code}, {meaning}.")
                + (reason is null ? "" : $" The proxy says: {reason}"),
            reason: reason);

    public SocksException AuthenticationFailed(byte status) =>
        new(SocksErrorKind.AuthenticationFailed, Index, Hop, null, status, ReplyText.AuthenticationRejected,
            string.Create(CultureInfo.InvariantCulture, $"The SOCKS proxy {Where} rejected user '{Hop.Credentials?.UserName}': status {status}, {ReplyText.AuthenticationRejected}."));

    public SocksException NoAcceptableMethod() =>
        new(SocksErrorKind.NoAcceptableAuthMethod, Index, Hop, null, 0xFF, ReplyText.NoAcceptableMethods,
            (Hop.Credentials, Hop.Gssapi) switch
            {
                (_, { Protects: true }) => $"The SOCKS proxy {Where} does not accept GSSAPI (the only method offered, since {GssapiLevels.Name(Hop.Gssapi.Protection)} protection is required).",
                (null, null) => $"The SOCKS proxy {Where} requires authentication, and no credentials were given for it.",
                (null, _) => $"The SOCKS proxy {Where} accepted neither GSSAPI nor no authentication.",
                (_, null) => $"The SOCKS proxy {Where} accepted neither username/password nor no authentication.",
                _ => $"The SOCKS proxy {Where} accepted none of GSSAPI, username/password and no authentication.",
            });

    public SocksException GssapiFailed(string target, NegotiateAuthenticationStatusCode status, string during) =>
        new(SocksErrorKind.GssapiFailed, Index, Hop, null, null, status.ToString(),
            $"GSSAPI with the SOCKS proxy {Where} failed during {during}: {status} (service principal {target})."
                + status switch
                {
                    NegotiateAuthenticationStatusCode.UnknownCredentials or NegotiateAuthenticationStatusCode.CredentialsExpired =>
                        " No usable Kerberos ticket: run kinit, or check KRB5CCNAME.",
                    NegotiateAuthenticationStatusCode.TargetUnknown => " The KDC does not know that principal: check the service name and the proxy's host name.",
                    _ => "",
                });

    public SocksException GssapiAborted(string during, Exception? inner = null) =>
        new(SocksErrorKind.GssapiAborted, Index, Hop, null, null, null, $"The SOCKS proxy {Where} aborted GSSAPI during {during}.", inner);

    public SocksException InsufficientProtection(GssapiProtectionLevel granted, GssapiProtectionLevel required) =>
        new(SocksErrorKind.InsufficientProtection, Index, Hop, null, (int)granted, Describe(granted),
            $"The SOCKS proxy {Where} granted GSSAPI protection '{Describe(granted)}', below the required '{Describe(required)}'.");

    private static string Describe(GssapiProtectionLevel level) => level switch
    {
        GssapiProtectionLevel.Clear => "clear",
        GssapiProtectionLevel.Integrity => "integrity",
        GssapiProtectionLevel.Confidentiality => "confidentiality",
        GssapiProtectionLevel.Selective => "selective",
        _ => string.Create(CultureInfo.InvariantCulture, $"0x{(byte)level:X2}"),
    };

    public SocksException Violation(string what, string? destination = null) =>
        new(SocksErrorKind.ProtocolViolation, Index, Hop, destination, null, null, $"The SOCKS proxy {Where} broke the protocol: {what}.");

    public SocksException Closed(string during, Exception? inner = null) =>
        new(SocksErrorKind.ConnectionClosed, Index, Hop, null, null, null, $"The SOCKS proxy {Where} closed the connection during {during}.", inner);

    public SocksException TimedOut(string during, TimeSpan timeout, Exception? inner = null) =>
        new(SocksErrorKind.TimedOut, Index, Hop, null, null, null,
            string.Create(CultureInfo.InvariantCulture, $"The SOCKS proxy {Where} did not answer in time during {during}: the handshake took longer than {timeout.TotalSeconds:0.###} s (SocksClientOptions.HandshakeTimeout)."),
            new TimeoutException("The SOCKS handshake timed out.", inner));

    public SocksException AddressNotSupported(string destination, string why) =>
        new(SocksErrorKind.AddressNotSupported, Index, Hop, destination, null, null, $"Cannot ask the SOCKS proxy {Where} for {destination}: {why}.");
}
