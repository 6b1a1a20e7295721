using System.Net;
using System.Net.Sockets;
using Windsock.Client.Handshake;
using Windsock.Protocol;

namespace Windsock.Client;

/// <summary>
/// A BIND in progress: the proxy listens at <see cref="Announced"/> (the modern Rgetsockname) and
/// <see cref="AcceptAsync"/> (or <see cref="AcceptStreamAsync"/>) waits for the one peer that connects there (Raccept).
/// Disposing before accepting cancels the BIND.
/// </summary>
public sealed class SocksBind : IDisposable, IAsyncDisposable
{
    private readonly HopContext _hop;
    private readonly SocksEndpoint _expectedPeer;
    private ProxyConnection? _connection;

    internal SocksBind(ProxyConnection connection, HopContext hop, SocksEndpoint expectedPeer, IPEndPoint announced)
    {
        _connection = connection;
        _hop = hop;
        _expectedPeer = expectedPeer;
        Announced = announced;
    }

    /// <summary>Where the peer must connect: the proxy's listening address, with 0.0.0.0 replaced by the proxy's own address.</summary>
    public IPEndPoint Announced { get; }

    /// <summary>The peer the proxy accepted, as its second reply reports it; null until <see cref="AcceptAsync"/> returns.</summary>
    public EndPoint? Peer { get; private set; }

    /// <summary>
    /// Waits for the proxy's second reply and returns the socket, which from then on carries the peer's
    /// bytes. Ownership of the socket passes to the caller. Call once.
    /// </summary>
    /// <exception cref="InvalidOperationException">The proxy protects the data with GSSAPI: use <see cref="AcceptStreamAsync"/>.</exception>
    public async Task<Socket> AcceptAsync(CancellationToken cancellationToken = default)
    {
        if (_connection?.IsWrapped == true)
        {
            throw new InvalidOperationException("AcceptAsync returns a plain socket, and this BIND's proxy protects the data with GSSAPI: use AcceptStreamAsync.");
        }

        return (await AcceptCoreAsync(cancellationToken).ConfigureAwait(false)).Socket;
    }

    /// <summary>
    /// As <see cref="AcceptAsync"/>, as a stream that owns the connection: a <see cref="NetworkStream"/>,
    /// or a <see cref="GssapiStream"/> when the proxy protects the data (the second reply and the peer's bytes come wrapped).
    /// </summary>
    public async Task<Stream> AcceptStreamAsync(CancellationToken cancellationToken = default) =>
        (await AcceptCoreAsync(cancellationToken).ConfigureAwait(false)).Stream;

    private async Task<ProxyConnection> AcceptCoreAsync(CancellationToken cancellationToken)
    {
        var connection = Interlocked.Exchange(ref _connection, null) ?? throw new InvalidOperationException("The BIND was already accepted, or it was disposed.");
        var buffer = HandshakeBuffer.Rent();
        try
        {
            var peer = await HopHandshake.ReadReplyAsync(connection.Stream, _hop, ProxyCommand.Bind, _expectedPeer, buffer, cancellationToken).ConfigureAwait(false);
            Peer = peer.Address is { } address ? new IPEndPoint(address, peer.Port) : new DnsEndPoint(peer.Host!, peer.Port);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
        finally
        {
            HandshakeBuffer.Return(buffer);
        }
    }

    public void Dispose() => Interlocked.Exchange(ref _connection, null)?.Dispose();

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
