using System.Net;
using System.Net.Sockets;
using Windsock.Client.Handshake;
using Windsock.Protocol;

namespace Windsock.Client;

/// <summary>
/// Opens connections through a SOCKS proxy or a chain of them: CONNECT (the modern Rconnect), BIND
/// (Rbind/Raccept) and UDP ASSOCIATE. Stateless and thread-safe: every call builds its own path.
/// Time limits come from the caller's <see cref="CancellationToken"/>.
/// </summary>
public sealed class SocksClient
{
    public SocksClient(ProxyChain chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        Chain = chain;
    }

    public SocksClient(ProxyHop proxy)
        : this(new ProxyChain(proxy ?? throw new ArgumentNullException(nameof(proxy))))
    {
    }

    public ProxyChain Chain { get; }

    /// <summary>
    /// Bounds each TCP connection attempt to the first hop; when it runs out the failure is
    /// <see cref="SocksErrorKind.ProxyUnreachable"/>, so the router can try its next proxy. Null: the caller's token only.
    /// </summary>
    internal TimeSpan? ProxyConnectTimeout { get; init; }

    private HopContext LastHop => new(Chain.Count - 1, Chain.Count, Chain[^1]);

    /// <summary>Connects to <paramref name="host"/> (an address or a name) through the chain; the socket then carries the destination's bytes.</summary>
    public Task<Socket> ConnectAsync(string host, int port, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        return ConnectAsync(new DnsEndPoint(host, port), cancellationToken);
    }

    public Task<Socket> ConnectAsync(IPAddress address, int port, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        return ConnectAsync(new IPEndPoint(address, port), cancellationToken);
    }

    /// <summary>Connects to an <see cref="IPEndPoint"/> or a <see cref="DnsEndPoint"/> through the chain.</summary>
    /// <exception cref="InvalidOperationException">A hop protects the data with GSSAPI: only <see cref="ConnectStreamAsync(EndPoint, CancellationToken)"/> can carry it.</exception>
    public async Task<Socket> ConnectAsync(EndPoint destination, CancellationToken cancellationToken = default)
    {
        RequireUnwrapped(nameof(ConnectAsync), nameof(ConnectStreamAsync));
        var connection = await OpenAsync(destination, cancellationToken).ConfigureAwait(false);
        return connection.IsWrapped ? throw Wrapped(connection, nameof(ConnectAsync), nameof(ConnectStreamAsync)) : connection.Socket;
    }

    /// <summary>
    /// As <see cref="ConnectAsync(EndPoint, CancellationToken)"/>, as a stream that owns the connection: a
    /// <see cref="NetworkStream"/>, or a <see cref="GssapiStream"/> when a hop protects the data with GSSAPI
    /// integrity or confidentiality (the only way to use such a hop).
    /// </summary>
    public async Task<Stream> ConnectStreamAsync(EndPoint destination, CancellationToken cancellationToken = default)
    {
        var connection = await OpenAsync(destination, cancellationToken).ConfigureAwait(false);
        return connection.Stream;
    }

    public Task<Stream> ConnectStreamAsync(string host, int port, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        return ConnectStreamAsync(IPAddress.TryParse(host, out var address) ? new IPEndPoint(address, port) : new DnsEndPoint(host, port), cancellationToken);
    }

    /// <summary>True when some hop of the chain wraps the data (GSSAPI integrity or confidentiality).</summary>
    internal bool Protects => Chain.Any(h => h.Protects);

    private void RequireUnwrapped(string method, string instead)
    {
        if (Protects)
        {
            throw new InvalidOperationException(
                $"{method} returns a plain socket, and a hop of {Chain} protects the data with GSSAPI ({Chain.First(h => h.Protects).Gssapi!.Protection.ToString().ToLowerInvariant()}): use {instead}, whose stream wraps and unwraps it.");
        }
    }

    /// <summary>The proxy granted more protection than asked for: the socket cannot carry it either.</summary>
    private static InvalidOperationException Wrapped(ProxyConnection connection, string method, string instead)
    {
        connection.Dispose();
        return new InvalidOperationException($"{method} returns a plain socket, and the proxy granted GSSAPI protection beyond clear: use {instead}.");
    }

    private async Task<ProxyConnection> OpenAsync(EndPoint destination, CancellationToken cancellationToken)
    {
        var buffer = HandshakeBuffer.Rent();
        try
        {
            var last = LastHop;
            var candidates = await DestinationResolver.ResolveAsync(last, destination, cancellationToken).ConfigureAwait(false);
            SocksException? firstFailure = null;
            foreach (var target in candidates)
            {
                var connection = await Tunnel.OpenToLastHopAsync(Chain, buffer, cancellationToken, ProxyConnectTimeout).ConfigureAwait(false);
                try
                {
                    await HopHandshake.RequestAsync(connection, last, ProxyCommand.Connect, target, buffer, cancellationToken).ConfigureAwait(false);
                    return connection;
                }
                catch (SocksException e) when (e.Kind == SocksErrorKind.CommandFailed && candidates.Length > 1)
                {
                    // A name resolved here may have addresses the destination does not listen on (::1 and 127.0.0.1):
                    // try the next one, and report the first failure if none works.
                    connection.Dispose();
                    firstFailure ??= e;
                }
                catch
                {
                    connection.Dispose();
                    throw;
                }
            }

            throw firstFailure!;
        }
        finally
        {
            HandshakeBuffer.Return(buffer);
        }
    }

    /// <summary>
    /// Asks the last hop to listen for one connection from <paramref name="expectedPeer"/> (the
    /// application server that will connect back; many proxies only accept a connection from that address).
    /// Tell the peer <see cref="SocksBind.Announced"/>, then call <see cref="SocksBind.AcceptAsync"/>.
    /// </summary>
    public async Task<SocksBind> BindAsync(EndPoint expectedPeer, CancellationToken cancellationToken = default)
    {
        var buffer = HandshakeBuffer.Rent();
        try
        {
            var last = LastHop;
            var target = (await DestinationResolver.ResolveAsync(last, expectedPeer, cancellationToken).ConfigureAwait(false))[0];
            var connection = await Tunnel.OpenToLastHopAsync(Chain, buffer, cancellationToken, ProxyConnectTimeout).ConfigureAwait(false);
            try
            {
                var bound = await HopHandshake.RequestAsync(connection, last, ProxyCommand.Bind, target, buffer, cancellationToken).ConfigureAwait(false);
                var announced = await ProxyAddress.ResolveAsync(connection.Socket, last, bound, cancellationToken).ConfigureAwait(false);
                return new SocksBind(connection, last, target, announced);
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }
        finally
        {
            HandshakeBuffer.Return(buffer);
        }
    }

    /// <summary>
    /// Asks the chain's last hop to resolve <paramref name="host"/> with Tor's RESOLVE extension
    /// (SOCKS5 CMD X'F0', served by Tor and Windsock) and returns the address it answers. An address
    /// is sent as it is (proxies answer it as itself). Nothing is connected.
    /// </summary>
    /// <exception cref="NotSupportedException">The last hop does not speak SOCKS5.</exception>
    /// <exception cref="SocksException">The proxy refused or failed (REP 4: the name does not resolve), or broke the protocol.</exception>
    public async Task<IPAddress> ResolveAsync(string host, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        var last = LastHop;
        RequireSocks5(last, "RESOLVE");
        SocksEndpoint target;
        if (IPAddress.TryParse(host, out var literal))
        {
            target = DestinationResolver.FromAddress(last, literal, 0);
        }
        else if (HostName.Validate(host) is var error and not ProtocolError.None)
        {
            throw last.AddressNotSupported(host, $"a SOCKS host name is 1 to 255 printable ASCII characters ({error})");
        }
        else
        {
            target = SocksEndpoint.FromHost(host, 0);
        }

        var answer = await RequestOnceAsync(last, ProxyCommand.Resolve, target, cancellationToken).ConfigureAwait(false);
        return answer.Address ?? throw last.Violation($"it answered RESOLVE with the name {answer.Host}, not an address", target.ToString());
    }

    /// <summary>
    /// Asks the chain's last hop for the name of <paramref name="address"/> with Tor's RESOLVE_PTR
    /// extension (SOCKS5 CMD X'F1') and returns the name it answers.
    /// </summary>
    /// <exception cref="NotSupportedException">The last hop does not speak SOCKS5.</exception>
    /// <exception cref="SocksException">The proxy refused or failed (REP 4: no name), or broke the protocol.</exception>
    public async Task<string> ResolvePtrAsync(IPAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        var last = LastHop;
        RequireSocks5(last, "RESOLVE_PTR");
        var target = DestinationResolver.FromAddress(last, address, 0);
        var answer = await RequestOnceAsync(last, ProxyCommand.ResolvePtr, target, cancellationToken).ConfigureAwait(false);
        // Tor answers a name; an address in the reply is passed on as text rather than refused.
        return answer.Host ?? answer.Address!.ToString();
    }

    private static void RequireSocks5(HopContext last, string command)
    {
        if (last.Hop.Protocol != SocksProtocol.Socks5)
        {
            throw new NotSupportedException($"{command} is a SOCKS5 extension; the last proxy of the chain speaks {last.Hop.Protocol}.");
        }
    }

    /// <summary>One request on a fresh path to the last hop whose only answer is the reply's BND; the connection is closed after it.</summary>
    private async Task<SocksEndpoint> RequestOnceAsync(HopContext last, ProxyCommand command, SocksEndpoint target, CancellationToken cancellationToken)
    {
        var buffer = HandshakeBuffer.Rent();
        try
        {
            using var connection = await Tunnel.OpenToLastHopAsync(Chain, buffer, cancellationToken, ProxyConnectTimeout).ConfigureAwait(false);
            return await HopHandshake.RequestAsync(connection, last, command, target, buffer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            HandshakeBuffer.Return(buffer);
        }
    }

    /// <summary>
    /// Opens a UDP association with a single SOCKS5 proxy. Datagrams go straight to the proxy's relay,
    /// so a chain of more than one hop cannot carry them. When the hop protects with GSSAPI, each datagram
    /// is wrapped on its way to the relay and unwrapped on its way back.
    /// </summary>
    public async Task<SocksUdpClient> AssociateUdpAsync(CancellationToken cancellationToken = default)
    {
        if (Chain.Count != 1)
        {
            throw new NotSupportedException("UDP ASSOCIATE works with a single proxy: datagrams cannot pass through a chain of TCP tunnels.");
        }

        if (Chain[0].Protocol != SocksProtocol.Socks5)
        {
            throw new NotSupportedException("UDP ASSOCIATE needs a SOCKS5 proxy.");
        }

        var buffer = HandshakeBuffer.Rent();
        try
        {
            var hop = LastHop;
            var control = await Tunnel.OpenToLastHopAsync(Chain, buffer, cancellationToken, ProxyConnectTimeout).ConfigureAwait(false);
            Socket? udp = null;
            try
            {
                // Send from the address the control connection uses, and tell the proxy exactly where from:
                // relays drop datagrams from anywhere else.
                var local = (IPEndPoint)control.Socket.LocalEndPoint!;
                udp = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                udp.Bind(new IPEndPoint(local.Address, 0));
                var source = SocksEndpoint.FromEndPoint((IPEndPoint)udp.LocalEndPoint!);
                var bound = await HopHandshake.RequestAsync(control, hop, ProxyCommand.UdpAssociate, source, buffer, cancellationToken).ConfigureAwait(false);
                var relay = await ProxyAddress.ResolveAsync(control.Socket, hop, bound, cancellationToken).ConfigureAwait(false);
                return new SocksUdpClient(control, udp, hop, relay);
            }
            catch
            {
                udp?.Dispose();
                control.Dispose();
                throw;
            }
        }
        finally
        {
            HandshakeBuffer.Return(buffer);
        }
    }
}
