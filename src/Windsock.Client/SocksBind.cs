using System.Net;
using System.Net.Sockets;
using Windsock.Client.Handshake;
using Windsock.Protocol;

namespace Windsock.Client;

/// <summary>
/// A BIND in progress: the proxy listens at <see cref="ListenEndPoint"/> (the modern Rgetsockname) and
/// <see cref="AcceptAsync"/> (or <see cref="AcceptStreamAsync"/>) waits for the one peer that connects there (Raccept).
/// Disposing before accepting cancels the BIND.
/// </summary>
public sealed class SocksBind : IDisposable, IAsyncDisposable
{
    private readonly HopContext _hop;
    private readonly SocksEndpoint _expectedPeer;
    private readonly SocksClientOptions _options;
    private ProxyConnection? _connection;

    internal SocksBind(ProxyConnection connection, HopContext hop, SocksEndpoint expectedPeer, IPEndPoint listening, SocksClientOptions options)
    {
        _connection = connection;
        _hop = hop;
        _expectedPeer = expectedPeer;
        _options = options;
        ListenEndPoint = listening;
    }

    /// <summary>Where the peer must connect: the proxy's listening address, with 0.0.0.0 (or ::) replaced by the proxy's own address.</summary>
    public IPEndPoint ListenEndPoint { get; }

    /// <summary>The peer the proxy accepted, as its second reply reports it; null until <see cref="AcceptAsync"/> or <see cref="AcceptStreamAsync"/> returns.</summary>
    public EndPoint? RemoteEndPoint { get; private set; }

    /// <summary>
    /// Waits for the proxy's second reply and returns the socket, which from then on carries the peer's
    /// bytes. Ownership of the socket passes to the caller. Call once. Only the caller's token bounds the
    /// wait, since the peer may take its time.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait; the BIND is closed.</param>
    /// <returns>A socket connected to the peer through the chain.</returns>
    /// <exception cref="InvalidOperationException">The proxy protects the data with GSSAPI (use <see cref="AcceptStreamAsync"/>), or the BIND was already accepted or disposed.</exception>
    /// <exception cref="SocksException">The proxy refused the peer, closed the connection or broke the protocol.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
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
    /// <param name="cancellationToken">Cancels the wait; the BIND is closed.</param>
    /// <returns>A stream to the peer through the chain; disposing it closes the connection.</returns>
    /// <exception cref="InvalidOperationException">The BIND was already accepted or disposed.</exception>
    /// <exception cref="SocksException">The proxy refused the peer, closed the connection or broke the protocol.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<Stream> AcceptStreamAsync(CancellationToken cancellationToken = default) =>
        (await AcceptCoreAsync(cancellationToken).ConfigureAwait(false)).Stream;

    private async Task<ProxyConnection> AcceptCoreAsync(CancellationToken cancellationToken)
    {
        var connection = Interlocked.Exchange(ref _connection, null) ?? throw new InvalidOperationException("The BIND was already accepted, or it was disposed.");
        var buffer = HandshakeBuffer.Rent();

        // No handshake clock: the second reply comes when the peer connects. The options still give the reason wait and the logger.
        using var call = ClientCall.Begin(_options, cancellationToken);
        try
        {
            var peer = await HopHandshake.ReadReplyAsync(connection.Stream, _hop, ProxyCommand.Bind, _expectedPeer, buffer, cancellationToken).ConfigureAwait(false);
            RemoteEndPoint = peer.Address is { } address ? new IPEndPoint(address, peer.Port) : new DnsEndPoint(peer.Host!, peer.Port);
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

    /// <summary>Cancels the BIND if it was not accepted: the connection to the proxy is closed. Does nothing after an accept.</summary>
    public void Dispose() => Interlocked.Exchange(ref _connection, null)?.Dispose();

    /// <summary>As <see cref="Dispose"/>.</summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
