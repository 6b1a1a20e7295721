namespace Windsock.Client.Handshake;

/// <summary>The commands this client sends, independent of the protocol version that carries them.</summary>
internal enum ProxyCommand
{
    Connect,
    Bind,
    UdpAssociate,
}

internal static class ProxyCommandNames
{
    public static string Of(ProxyCommand command) => command switch
    {
        ProxyCommand.Connect => "CONNECT",
        ProxyCommand.Bind => "BIND",
        _ => "UDP ASSOCIATE",
    };
}
