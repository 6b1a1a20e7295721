namespace Windsock.Protocol;

/// <summary>Limits the wire formats impose, in one place so that parsers, writers and tests agree.</summary>
public static class SocksLimits
{
    /// <summary>A SOCKS5 domain name has a one-byte length; SOCKS4a host names are held to the same bound.</summary>
    public const int MaxHostNameLength = 255;

    /// <summary>SOCKS4 user ids have no length field; 255 bytes is generous and keeps a hostile client from streaming forever.</summary>
    public const int MaxUserIdLength = 255;

    /// <summary>RFC 1929 UNAME and PASSWD each have a one-byte length.</summary>
    public const int MaxCredentialLength = 255;

    /// <summary>The largest SOCKS4a request: 8 fixed bytes, user id and NUL, host name and NUL.</summary>
    public const int MaxSocks4RequestLength = 8 + MaxUserIdLength + 1 + MaxHostNameLength + 1;

    /// <summary>The largest SOCKS5 request or reply: 4 fixed bytes, length byte, 255-byte name, port.</summary>
    public const int MaxSocks5RequestLength = 4 + 1 + MaxHostNameLength + 2;

    /// <summary>The largest SOCKS5 greeting: version, count and 255 methods.</summary>
    public const int MaxSocks5GreetingLength = 2 + 255;

    /// <summary>The largest SOCKS5 UDP header: RSV(2), FRAG, ATYP, length byte, 255-byte name, port.</summary>
    public const int MaxSocks5UdpHeaderLength = 2 + 1 + 1 + 1 + MaxHostNameLength + 2;

    /// <summary>
    /// The smallest SOCKS5 UDP header: RSV(2), FRAG, ATYP, a length byte, a one-byte host name (an empty one is
    /// refused) and the port. A one-letter name is two bytes shorter than an IPv4 address.
    /// </summary>
    public const int MinSocks5UdpHeaderLength = 2 + 1 + 1 + 1 + 1 + 2;

    /// <summary>The largest RFC 1929 request.</summary>
    public const int MaxUsernamePasswordRequestLength = 3 + (2 * MaxCredentialLength);
}
