namespace Windsock.Client.Handshake;

/// <summary>The commands this client sends, independent of the protocol version that carries them.</summary>
internal enum ProxyCommand
{
    Connect,
    Bind,
    UdpAssociate,

    /// <summary>Tor's RESOLVE (SOCKS5 CMD X'F0'): the proxy answers a name's address.</summary>
    Resolve,

    /// <summary>Tor's RESOLVE_PTR (SOCKS5 CMD X'F1'): the proxy answers an address's name.</summary>
    ResolvePtr,

    /// <summary>NEC's PING (SOCKS5 CMD X'80'): result lines follow the reply.</summary>
    Ping,

    /// <summary>NEC's TRACEROUTE (SOCKS5 CMD X'81'): result lines follow the reply.</summary>
    Traceroute,
}

internal static class ProxyCommandNames
{
    public static string Of(ProxyCommand command) => command switch
    {
        ProxyCommand.Connect => "CONNECT",
        ProxyCommand.Bind => "BIND",
        ProxyCommand.Resolve => "RESOLVE",
        ProxyCommand.ResolvePtr => "RESOLVE_PTR",
        ProxyCommand.Ping => "PING",
        ProxyCommand.Traceroute => "TRACEROUTE",
        _ => "UDP ASSOCIATE",
    };
}
