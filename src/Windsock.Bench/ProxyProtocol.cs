namespace Windsock.Bench;

/// <summary>How the harness talks to the proxy, and how it names the destination.</summary>
public enum ProxyProtocol
{
    /// <summary>SOCKS4: IPv4 destination, optional user id.</summary>
    Socks4,

    /// <summary>SOCKS4a: the destination goes as a host name, resolved by the proxy.</summary>
    Socks4a,

    /// <summary>SOCKS5 with a literal IP destination.</summary>
    Socks5,

    /// <summary>SOCKS5 with a domain-name destination, resolved by the proxy (curl's socks5h).</summary>
    Socks5h,
}
