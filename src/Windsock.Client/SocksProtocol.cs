namespace Windsock.Client;

/// <summary>The protocol a proxy hop speaks.</summary>
public enum SocksProtocol
{
    /// <summary>SOCKS4: IPv4 destinations only; names are always resolved on this machine.</summary>
    Socks4,

    /// <summary>SOCKS4a: SOCKS4 that can hand a host name to the proxy to resolve.</summary>
    Socks4a,

    /// <summary>SOCKS5 (RFC 1928) with no authentication or username/password (RFC 1929).</summary>
    Socks5,
}
