namespace Windsock.Client;

/// <summary>Who turns a destination's host name into an address.</summary>
public enum NameResolution
{
    /// <summary>
    /// The proxy resolves it (SOCKS5 ATYP 3, SOCKS4a): no DNS query leaves this machine, and names
    /// that only the proxy's network knows still work. SOCKS4 cannot carry names and resolves locally anyway.
    /// </summary>
    Proxy,

    /// <summary>This machine resolves it and sends the proxy an address; each address is tried in turn.</summary>
    Local,
}
