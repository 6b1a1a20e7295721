using Windsock.Protocol;

namespace Windsock.Client.Handshake;

/// <summary>Runs a command against one hop in whichever protocol that hop speaks.</summary>
internal static class HopHandshake
{
    public static async ValueTask<SocksEndpoint> RequestAsync(
        ProxyConnection connection, HopContext hop, ProxyCommand command, SocksEndpoint destination, byte[] buffer, CancellationToken cancellationToken, ReadOnlyMemory<byte> trailer = default)
    {
        ClientTrace.Write(hop, $"asking for {ProxyCommandNames.Of(command)} {destination} over {hop.Hop.Protocol}");
        var bound = hop.Hop.Protocol == SocksProtocol.Socks5
            ? await Socks5Handshake.RequestAsync(connection, hop, command, destination, buffer, cancellationToken, trailer).ConfigureAwait(false)
            : await Socks4Handshake.RequestAsync(connection.Stream, hop, command, destination, buffer, cancellationToken).ConfigureAwait(false);
        ClientTrace.Write(hop, $"{ProxyCommandNames.Of(command)} {destination} granted, bound address {bound}");
        return bound;
    }

    /// <summary>A further reply to the same request: BIND's second, when the peer has connected.</summary>
    public static ValueTask<SocksEndpoint> ReadReplyAsync(
        Stream stream, HopContext hop, ProxyCommand command, SocksEndpoint destination, byte[] buffer, CancellationToken cancellationToken) =>
        hop.Hop.Protocol == SocksProtocol.Socks5
            ? Socks5Handshake.ReadReplyAsync(stream, hop, command, destination, buffer, cancellationToken)
            : Socks4Handshake.ReadReplyAsync(stream, hop, command, destination, buffer, cancellationToken);
}
