namespace Windsock.Client;

/// <summary>Which step of talking to a proxy went wrong.</summary>
public enum SocksErrorKind
{
    /// <summary>
    /// Not set: a <see cref="SocksException"/> made with one of its public constructors, e.g. by code that
    /// wraps this library. The client itself never reports it.
    /// </summary>
    Unknown,

    /// <summary>No TCP connection to the first hop (its name did not resolve, or every address refused or timed out).</summary>
    ProxyUnreachable,

    /// <summary>The proxy accepted none of the offered methods (SOCKS5 method X'FF').</summary>
    NoAcceptableAuthMethod,

    /// <summary>The proxy rejected the user name or password (RFC 1929 STATUS, in <see cref="SocksException.ReplyCode"/>).</summary>
    AuthenticationFailed,

    /// <summary>The proxy refused or failed the request (SOCKS5 REP or SOCKS4 CD, in <see cref="SocksException.ReplyCode"/>).</summary>
    CommandFailed,

    /// <summary>The proxy sent bytes that are not a valid answer, or chose a method that was not offered.</summary>
    ProtocolViolation,

    /// <summary>The proxy closed or reset the connection in the middle of a handshake.</summary>
    ConnectionClosed,

    /// <summary>The destination cannot be expressed in this hop's protocol (IPv6 or 0.0.0.x over SOCKS4, an over-long name).</summary>
    AddressNotSupported,

    /// <summary>
    /// GSSAPI (RFC 1961) could not establish a security context with the proxy: no ticket or a wrong
    /// password, an unknown service principal, a failed mutual authentication, or a wrap that failed.
    /// <see cref="SocksException.ReplyMeaning"/> holds the GSS-API status (a NegotiateAuthenticationStatusCode name).
    /// </summary>
    GssapiFailed,

    /// <summary>The proxy sent RFC 1961's abort message (MTYP X'FF') during GSSAPI negotiation or on the protected connection.</summary>
    GssapiAborted,

    /// <summary>
    /// The proxy granted a lower GSSAPI protection level than the hop requires (<see cref="SocksException.ReplyCode"/>
    /// is the level granted: 0 clear, 1 integrity, 2 confidentiality).
    /// </summary>
    InsufficientProtection,

    /// <summary>
    /// The proxy accepted the TCP connection but did not finish the handshake within
    /// <see cref="SocksClientOptions.HandshakeTimeout"/> (a silent or stalled proxy). The inner exception is a <see cref="TimeoutException"/>.
    /// </summary>
    TimedOut,
}
