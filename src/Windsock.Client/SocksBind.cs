using System.Net;
using System.Net.Sockets;
using Windsock.Client.Handshake;
using Windsock.Protocol;

namespace Windsock.Client;

/// <summary>
/// A BIND in progress: the proxy listens at <see cref="Announced"/> (the modern Rgetsockname) and
/// <see cref="AcceptAsync"/> waits for the one peer that connects there (Raccept).
/// Disposing before accepting cancels the BIND.
/// </summary>
public sealed class SocksBind : IDisposable, IAsyncDisposable
{
    private readonly HopContext _hop;
    private readonly SocksEndpoint _expectedPeer;
    private Socket? _socket;

    internal SocksBind(Socket socket, HopContext hop, SocksEndpoint expectedPeer, IPEndPoint announced)
    {
        _socket = socket;
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
    public async Task<Socket> AcceptAsync(CancellationToken cancellationToken = default)
    {
        var socket = Interlocked.Exchange(ref _socket, null) ?? throw new InvalidOperationException("AcceptAsync was already called, or the BIND was disposed.");
        var buffer = HandshakeBuffer.Rent();
        try
        {
            var peer = await HopHandshake.ReadReplyAsync(socket, _hop, ProxyCommand.Bind, _expectedPeer, buffer, cancellationToken).ConfigureAwait(false);
            Peer = peer.Address is { } address ? new IPEndPoint(address, peer.Port) : new DnsEndPoint(peer.Host!, peer.Port);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        finally
        {
            HandshakeBuffer.Return(buffer);
        }
    }

    public void Dispose() => Interlocked.Exchange(ref _socket, null)?.Dispose();

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
