namespace Windsock.Protocol.ProxyProtocol;

/// <summary>What a PROXY protocol header says about the connection it opens.</summary>
public enum ProxyHeaderCommand
{
    /// <summary>
    /// v2 LOCAL: the balancer opened the connection for itself (a health check); the addresses, if any, mean
    /// nothing and the connection relays no client.
    /// </summary>
    Local = 0,

    /// <summary>
    /// The connection relays a client: v1 TCP4/TCP6/UNKNOWN, v2 PROXY. When the balancer could not name the
    /// client (v1 UNKNOWN, v2 AF_UNSPEC or AF_UNIX) <see cref="ProxyHeader.Source"/> is null.
    /// </summary>
    Proxy = 1,
}
