namespace Windsock.Protocol;

/// <summary>Why bytes are not a valid SOCKS message. Every malformed input maps to one of these, never to an exception.</summary>
public enum ProtocolError
{
    None = 0,

    /// <summary>The version byte is not the one this message requires (4 or 5, or 1 for RFC 1929).</summary>
    UnsupportedVersion,

    /// <summary>SOCKS4 command byte other than CONNECT (1) or BIND (2).</summary>
    UnsupportedCommand,

    /// <summary>SOCKS5 ATYP other than 1 (IPv4), 3 (domain name) or 4 (IPv6).</summary>
    UnsupportedAddressType,

    /// <summary>A SOCKS5 domain name of length zero, or a SOCKS4a host name that is empty.</summary>
    EmptyHostName,

    /// <summary>A SOCKS4a host name longer than 255 bytes before its NUL.</summary>
    HostNameTooLong,

    /// <summary>A host name with bytes outside printable ASCII (control characters, spaces, NUL, 8-bit bytes).</summary>
    InvalidHostName,

    /// <summary>A SOCKS4 user id longer than 255 bytes before its NUL.</summary>
    UserIdTooLong,

    /// <summary>An RFC 1929 request whose ULEN is zero (RFC 1929 allows 1 to 255).</summary>
    EmptyUserName,

    /// <summary>An RFC 1929 request whose PLEN is zero (RFC 1929 allows 1 to 255).</summary>
    EmptyPassword,

    /// <summary>A SOCKS5 reply whose RSV byte is not zero, or a UDP header whose RSV field is not zero.</summary>
    ReservedNotZero,

    /// <summary>An RFC 1413 (ident) response line that is not USERID or ERROR in the RFC's form, or longer than 1000 bytes.</summary>
    InvalidIdentReply,

    /// <summary>A UDP datagram that ends before its SOCKS5 header does (a datagram is always whole; there is no "more").</summary>
    TruncatedDatagram,

    /// <summary>A denial reason message (Windsock's extension) longer than 1000 bytes.</summary>
    ReasonTooLong,

    /// <summary>An RFC 1961 message whose MTYP is none of 1, 2, 3 or 0xFF.</summary>
    UnknownGssapiMessageType,

    /// <summary>A ping/traceroute line (Windsock's result and options lines) that breaks the key=value grammar.</summary>
    InvalidProbeLine,

    /// <summary>A ping/traceroute line longer than its limit (1024 bytes for results, 512 for options) without its LF.</summary>
    ProbeLineTooLong,

    /// <summary>Bytes from a balancer that start neither a PROXY protocol v1 line ("PROXY ") nor the v2 signature.</summary>
    NotProxyHeader,

    /// <summary>A PROXY v1 line without CRLF in its first 107 bytes, or a v2 header declaring more than <see cref="ProxyProtocol.ProxyHeader.MaxLength"/> bytes.</summary>
    ProxyHeaderTooLong,

    /// <summary>A PROXY v1 line not in the specification's exact form (one space between fields, canonical addresses, ports without leading zeros, CRLF), or a v2 version nibble other than 2.</summary>
    InvalidProxyHeader,

    /// <summary>A PROXY v2 command other than LOCAL (0) or PROXY (1).</summary>
    UnsupportedProxyCommand,

    /// <summary>A PROXY v2 address family above AF_UNIX (3) or a transport above DGRAM (2).</summary>
    UnsupportedProxyFamily,

    /// <summary>A PROXY v2 header whose length is shorter than the address block its family needs.</summary>
    ProxyAddressesTruncated,

    /// <summary>A PROXY v2 TLV whose length runs past the end of the header.</summary>
    InvalidProxyTlv,

    /// <summary>A PROXY v2 header with a CRC32C TLV that does not match the header.</summary>
    ProxyChecksumMismatch,
}
