using System.Net;
using System.Net.Sockets;

namespace Windsock.Bench;

/// <summary>
/// Opens a TCP stream to a destination, either straight (the baseline) or
/// through a SOCKS4/4a/5 proxy with CONNECT.
/// </summary>
public sealed class TunnelConnector
{
    private readonly SocksHandshake? _handshake;

    /// <param name="proxy">The proxy, or null to connect directly.</param>
    /// <param name="targetName">
    /// The name sent for the destination when the protocol sends names (SOCKS4a, socks5h); it must
    /// resolve to the destination's loopback address on the proxy's side.
    /// </param>
    public TunnelConnector(ProxySpec? proxy, string targetName = "localhost")
    {
        Proxy = proxy;
        TargetName = targetName;
        _handshake = proxy is null ? null : new SocksHandshake(proxy.Protocol, proxy.Credentials);
    }

    public ProxySpec? Proxy { get; }

    public string TargetName { get; }

    public bool IsDirect => Proxy is null;

    /// <summary>The handshake, for loads that go beyond CONNECT (UDP ASSOCIATE); null when direct.</summary>
    public SocksHandshake? Handshake => _handshake;

    /// <summary>The bytes to pass to <see cref="OpenAsync"/> for this destination; computed once per load.</summary>
    public byte[]? PrepareRequest(IPEndPoint destination) =>
        _handshake?.BuildConnectRequest(destination, TargetName);

    /// <summary>A TCP connection to the proxy, not yet handshaken. The caller owns it.</summary>
    public async Task<Socket> ConnectToProxyAsync(CancellationToken cancellationToken)
    {
        IPEndPoint proxy = Proxy?.EndPoint ?? throw new InvalidOperationException("no proxy");
        var socket = new Socket(proxy.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(proxy, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A socket whose stream reaches <paramref name="destination"/>. The caller owns it.
    /// </summary>
    public async Task<Socket> OpenAsync(IPEndPoint destination, byte[]? connectRequest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        IPEndPoint first = Proxy?.EndPoint ?? destination;
        var socket = new Socket(first.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(first, cancellationToken).ConfigureAwait(false);
            if (_handshake is not null)
            {
                await _handshake.ConnectAsync(socket, connectRequest ?? _handshake.BuildConnectRequest(destination, TargetName), cancellationToken)
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
