namespace Windsock.Protocol.Socks5;

/// <summary>
/// SOCKS5 CMD values: the three of RFC 1928 and the extensions seen in the wild. The parser accepts
/// any byte here; which commands a server supports is the server's decision (reply X'07' otherwise).
/// </summary>
public enum Socks5Command : byte
{
    Connect = 0x01,
    Bind = 0x02,
    UdpAssociate = 0x03,

    /// <summary>NEC's PING extension.</summary>
    Ping = 0x80,

    /// <summary>NEC's TRACEROUTE extension.</summary>
    Traceroute = 0x81,

    /// <summary>Tor's RESOLVE extension: a name in, an address back.</summary>
    Resolve = 0xF0,

    /// <summary>Tor's RESOLVE_PTR extension: an address in, a name back.</summary>
    ResolvePtr = 0xF1,
}
