using System.Net;
using System.Net.Sockets;

namespace Windsock.Bench;

/// <summary>
/// Opens a TCP stream to a destination, either straight (the baseline) or
/// through a SOCKS5 proxy with CONNECT.
/// </summary>
public sealed class TunnelConnector
{
    private readonly SocksHandshake? _handshake;

    /// <param name="proxy">The SOCKS5 proxy, or null to connect directly.</param>
    /// <param name="credentials">Username/password for the proxy, or null for no-auth.</param>
    public TunnelConnector(IPEndPoint? proxy, SocksCredentials? credentials)
    {
        if (proxy is null && credentials is not null)
        {
            throw new ArgumentException("credentials make no sense without a proxy", nameof(credentials));
        }

        Proxy = proxy;
        _handshake = proxy is null ? null : new SocksHandshake(credentials);
    }

    public IPEndPoint? Proxy { get; }

    public bool IsDirect => Proxy is null;

    /// <summary>The bytes to pass to <see cref="OpenAsync"/> for this destination; computed once per load.</summary>
    public byte[]? PrepareRequest(IPEndPoint destination) =>
        IsDirect ? null : SocksHandshake.BuildConnectRequest(destination);

    /// <summary>
    /// A socket whose stream reaches <paramref name="destination"/>. The caller owns it.
    /// </summary>
    public async Task<Socket> OpenAsync(IPEndPoint destination, byte[]? connectRequest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        IPEndPoint first = Proxy ?? destination;
        var socket = new Socket(first.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(first, cancellationToken).ConfigureAwait(false);
            if (_handshake is not null)
            {
                await _handshake.ConnectAsync(socket, connectRequest ?? SocksHandshake.BuildConnectRequest(destination), cancellationToken)
                    .ConfigureAwait(false);
            }

            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
