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
}

internal static class ProxyCommandNames
{
    public static string Of(ProxyCommand command) => command switch
    {
        ProxyCommand.Connect => "CONNECT",
        ProxyCommand.Bind => "BIND",
        ProxyCommand.Resolve => "RESOLVE",
        ProxyCommand.ResolvePtr => "RESOLVE_PTR",
        _ => "UDP ASSOCIATE",
    };
}
