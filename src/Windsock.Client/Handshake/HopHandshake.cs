using System.Net.Sockets;
using Windsock.Protocol;

namespace Windsock.Client.Handshake;

/// <summary>Runs a command against one hop in whichever protocol that hop speaks.</summary>
internal static class HopHandshake
{
    public static ValueTask<SocksEndpoint> RequestAsync(
        Socket socket, HopContext hop, ProxyCommand command, SocksEndpoint destination, byte[] buffer, CancellationToken cancellationToken) =>
        hop.Hop.Protocol == SocksProtocol.Socks5
            ? Socks5Handshake.RequestAsync(socket, hop, command, destination, buffer, cancellationToken)
            : Socks4Handshake.RequestAsync(socket, hop, command, destination, buffer, cancellationToken);

    /// <summary>A further reply to the same request: BIND's second, when the peer has connected.</summary>
    public static ValueTask<SocksEndpoint> ReadReplyAsync(
        Socket socket, HopContext hop, ProxyCommand command, SocksEndpoint destination, byte[] buffer, CancellationToken cancellationToken) =>
        hop.Hop.Protocol == SocksProtocol.Socks5
            ? Socks5Handshake.ReadReplyAsync(socket, hop, command, destination, buffer, cancellationToken)
            : Socks4Handshake.ReadReplyAsync(socket, hop, command, destination, buffer, cancellationToken);
}
