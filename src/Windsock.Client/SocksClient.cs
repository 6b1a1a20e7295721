using System.Net;
using System.Net.Sockets;
using Windsock.Client.Gssapi;
using Windsock.Client.Handshake;
using Windsock.Protocol;

namespace Windsock.Client;

/// <summary>
/// Opens connections through a SOCKS proxy or a chain of them: CONNECT (the modern Rconnect), BIND
/// (Rbind/Raccept), UDP ASSOCIATE, and Tor's RESOLVE and RESOLVE_PTR. Stateless and thread-safe: every
/// call builds its own path. Time limits come from <see cref="Options"/> and the caller's
/// <see cref="CancellationToken"/>, whichever ends first.
/// </summary>
public sealed partial class SocksClient
{
    /// <summary>A client for <paramref name="chain"/> with the default <see cref="SocksClientOptions"/>.</summary>
    /// <param name="chain">The proxies to pass through, in order.</param>
    /// <exception cref="ArgumentNullException"><paramref name="chain"/> is null.</exception>
    public SocksClient(ProxyChain chain)
        : this(chain, SocksClientOptions.Default)
    {
    }

    /// <summary>A client for <paramref name="chain"/> with the given time limits and logger.</summary>
    /// <param name="chain">The proxies to pass through, in order.</param>
    /// <param name="options">Time limits and logging; <see cref="SocksClientOptions.Default"/> for the defaults.</param>
    /// <exception cref="ArgumentNullException"><paramref name="chain"/> or <paramref name="options"/> is null.</exception>
    public SocksClient(ProxyChain chain, SocksClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(options);
        Chain = chain;
        Options = options;
    }

    /// <summary>A client for a single proxy with the default <see cref="SocksClientOptions"/>.</summary>
    /// <param name="proxy">The proxy.</param>
    /// <exception cref="ArgumentNullException"><paramref name="proxy"/> is null.</exception>
    public SocksClient(ProxyHop proxy)
        : this(proxy, SocksClientOptions.Default)
    {
    }

    /// <summary>A client for a single proxy with the given time limits and logger.</summary>
    /// <param name="proxy">The proxy.</param>
    /// <param name="options">Time limits and logging; <see cref="SocksClientOptions.Default"/> for the defaults.</param>
    /// <exception cref="ArgumentNullException"><paramref name="proxy"/> or <paramref name="options"/> is null.</exception>
    public SocksClient(ProxyHop proxy, SocksClientOptions options)
        : this(new ProxyChain(proxy ?? throw new ArgumentNullException(nameof(proxy))), options)
    {
    }

    /// <summary>The proxies every call passes through, in order.</summary>
    public ProxyChain Chain { get; }

    /// <summary>The time limits and logger of every call.</summary>
    public SocksClientOptions Options { get; }

    private HopContext LastHop => new(Chain.Count - 1, Chain.Count, Chain[^1]);

    /// <summary>True when some hop of the chain wraps the data (GSSAPI integrity or confidentiality).</summary>
    internal bool Protects => Chain.Any(h => h.Protects);

    /// <summary>Connects to <paramref name="host"/> (an address or a name) through the chain; the socket then carries the destination's bytes.</summary>
    /// <param name="host">The destination: an IP address literal, or a name that the last hop resolves (or this machine, per <see cref="ProxyHop.Resolution"/>).</param>
    /// <param name="port">The destination's TCP port.</param>
    /// <param name="cancellationToken">Cancels the connection attempt; the socket is closed.</param>
    /// <returns>A socket connected to the destination through the chain; the caller owns it.</returns>
    /// <exception cref="ArgumentException"><paramref name="host"/> is null, empty or white space.</exception>
    /// <exception cref="SocksException">A proxy could not be reached, refused, timed out or broke the protocol; <see cref="SocksException.Kind"/> says which.</exception>
    /// <exception cref="InvalidOperationException">A hop protects the data with GSSAPI: use <see cref="ConnectStreamAsync(string, int, CancellationToken)"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<Socket> ConnectAsync(string host, int port, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        return ConnectAsync(ToEndPoint(host, port), cancellationToken);
    }

    /// <summary>Connects to <paramref name="address"/>:<paramref name="port"/> through the chain.</summary>
    /// <param name="address">The destination's address.</param>
    /// <param name="port">The destination's TCP port.</param>
    /// <param name="cancellationToken">Cancels the connection attempt; the socket is closed.</param>
    /// <returns>A socket connected to the destination through the chain; the caller owns it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    /// <exception cref="SocksException">A proxy could not be reached, refused, timed out or broke the protocol.</exception>
    /// <exception cref="InvalidOperationException">A hop protects the data with GSSAPI: use <see cref="ConnectStreamAsync(IPAddress, int, CancellationToken)"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<Socket> ConnectAsync(IPAddress address, int port, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        return ConnectAsync(new IPEndPoint(address, port), cancellationToken);
    }

    /// <summary>Connects to an <see cref="IPEndPoint"/> or a <see cref="DnsEndPoint"/> through the chain.</summary>
    /// <param name="destination">An <see cref="IPEndPoint"/> or a <see cref="DnsEndPoint"/>.</param>
    /// <param name="cancellationToken">Cancels the connection attempt; the socket is closed.</param>
    /// <returns>A socket connected to the destination through the chain; the caller owns it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="destination"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is neither an <see cref="IPEndPoint"/> nor a <see cref="DnsEndPoint"/>.</exception>
    /// <exception cref="SocksException">A proxy could not be reached, refused, timed out or broke the protocol.</exception>
    /// <exception cref="InvalidOperationException">A hop protects the data with GSSAPI: only <see cref="ConnectStreamAsync(EndPoint, CancellationToken)"/> can carry it.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<Socket> ConnectAsync(EndPoint destination, CancellationToken cancellationToken = default)
    {
        RequireUnwrapped(nameof(ConnectAsync), nameof(ConnectStreamAsync));
        var connection = await RunAsync(token => OpenAsync(destination, token), cancellationToken).ConfigureAwait(false);
        return connection.IsWrapped ? throw Wrapped(connection, nameof(ConnectAsync), nameof(ConnectStreamAsync)) : connection.Socket;
    }

    /// <summary>
    /// As <see cref="ConnectAsync(EndPoint, CancellationToken)"/>, as a stream that owns the connection: a
    /// <see cref="NetworkStream"/>, or a <see cref="GssapiStream"/> when a hop protects the data with GSSAPI
    /// integrity or confidentiality (the only way to use such a hop).
    /// </summary>
    /// <param name="destination">An <see cref="IPEndPoint"/> or a <see cref="DnsEndPoint"/>.</param>
    /// <param name="cancellationToken">Cancels the connection attempt; the connection is closed.</param>
    /// <returns>A stream to the destination through the chain; disposing it closes the connection.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="destination"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is neither an <see cref="IPEndPoint"/> nor a <see cref="DnsEndPoint"/>.</exception>
    /// <exception cref="SocksException">A proxy could not be reached, refused, timed out or broke the protocol.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<Stream> ConnectStreamAsync(EndPoint destination, CancellationToken cancellationToken = default)
    {
        var connection = await RunAsync(token => OpenAsync(destination, token), cancellationToken).ConfigureAwait(false);
        return connection.Stream;
    }

    /// <summary>As <see cref="ConnectStreamAsync(EndPoint, CancellationToken)"/> to <paramref name="host"/> (an address or a name).</summary>
    /// <param name="host">The destination: an IP address literal or a name.</param>
    /// <param name="port">The destination's TCP port.</param>
    /// <param name="cancellationToken">Cancels the connection attempt; the connection is closed.</param>
    /// <returns>A stream to the destination through the chain; disposing it closes the connection.</returns>
    /// <exception cref="ArgumentException"><paramref name="host"/> is null, empty or white space.</exception>
    /// <exception cref="SocksException">A proxy could not be reached, refused, timed out or broke the protocol.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<Stream> ConnectStreamAsync(string host, int port, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        return ConnectStreamAsync(ToEndPoint(host, port), cancellationToken);
    }

    /// <summary>As <see cref="ConnectStreamAsync(EndPoint, CancellationToken)"/> to <paramref name="address"/>:<paramref name="port"/>.</summary>
    /// <param name="address">The destination's address.</param>
    /// <param name="port">The destination's TCP port.</param>
    /// <param name="cancellationToken">Cancels the connection attempt; the connection is closed.</param>
    /// <returns>A stream to the destination through the chain; disposing it closes the connection.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    /// <exception cref="SocksException">A proxy could not be reached, refused, timed out or broke the protocol.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<Stream> ConnectStreamAsync(IPAddress address, int port, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        return ConnectStreamAsync(new IPEndPoint(address, port), cancellationToken);
    }

    private static EndPoint ToEndPoint(string host, int port) =>
        IPAddress.TryParse(host, out var address) ? new IPEndPoint(address, port) : new DnsEndPoint(host, port);

    /// <summary>
    /// Runs one public call under its <see cref="ClientCall"/>: the options reach the handshake, the
    /// handshake clock bounds it, and a cancellation by the caller is reported with the caller's token.
    /// </summary>
    private async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        using var call = ClientCall.Begin(Options, cancellationToken);
        try
        {
            return await operation(call.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (call.TimedOut)
        {
            // Cancelled outside a read or write of a hop (a name resolved for the chain): still the handshake's limit.
            throw new HopContext(0, Chain.Count, Chain[0]).TimedOut("the handshake", Options.HandshakeTimeout, e);
        }
        catch (OperationCanceledException e) when (cancellationToken.IsCancellationRequested && e.CancellationToken != cancellationToken)
        {
            throw new OperationCanceledException(e.Message, e, cancellationToken);
        }
    }

    private void RequireUnwrapped(string method, string instead)
    {
        if (Protects)
        {
            throw new InvalidOperationException(
                $"{method} returns a plain socket, and a hop of {Chain} protects the data with GSSAPI ({GssapiLevels.Name(Chain.First(h => h.Protects).Gssapi!.Protection)}): use {instead}, whose stream wraps and unwraps it.");
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
                var connection = await Tunnel.OpenToLastHopAsync(Chain, buffer, cancellationToken).ConfigureAwait(false);
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
    /// Tell the peer <see cref="SocksBind.ListenEndPoint"/>, then call <see cref="SocksBind.AcceptAsync"/>.
    /// </summary>
    /// <param name="expectedPeer">Where the peer will connect from (port 0: any port), as an <see cref="IPEndPoint"/> or a <see cref="DnsEndPoint"/>.</param>
    /// <param name="cancellationToken">Cancels the request (not the accept that follows); the connection is closed.</param>
    /// <returns>The BIND in progress, after the proxy's first reply; dispose it to cancel the BIND.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="expectedPeer"/> is null.</exception>
    /// <exception cref="SocksException">A proxy could not be reached, refused, timed out or broke the protocol.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<SocksBind> BindAsync(EndPoint expectedPeer, CancellationToken cancellationToken = default) =>
        RunAsync(token => BindCoreAsync(expectedPeer, token), cancellationToken);

    private async Task<SocksBind> BindCoreAsync(EndPoint expectedPeer, CancellationToken cancellationToken)
    {
        var buffer = HandshakeBuffer.Rent();
        try
        {
            var last = LastHop;
            var target = (await DestinationResolver.ResolveAsync(last, expectedPeer, cancellationToken).ConfigureAwait(false))[0];
            var connection = await Tunnel.OpenToLastHopAsync(Chain, buffer, cancellationToken).ConfigureAwait(false);
            try
            {
                var bound = await HopHandshake.RequestAsync(connection, last, ProxyCommand.Bind, target, buffer, cancellationToken).ConfigureAwait(false);
                var listening = await ProxyAddress.ResolveAsync(connection.Socket, last, bound, cancellationToken).ConfigureAwait(false);
                return new SocksBind(connection, last, target, listening, Options);
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
    /// <param name="host">The name to resolve.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The address the proxy answered.</returns>
    /// <exception cref="ArgumentException"><paramref name="host"/> is null, empty or white space.</exception>
    /// <exception cref="NotSupportedException">The last hop does not speak SOCKS5.</exception>
    /// <exception cref="SocksException">The proxy refused or failed (REP 4: the name does not resolve; REP 7: RESOLVE not served), timed out, or broke the protocol.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<IPAddress> ResolveNameAsync(string host, CancellationToken cancellationToken = default)
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

        var answer = await RunAsync(token => RequestOnceAsync(last, ProxyCommand.Resolve, target, token), cancellationToken).ConfigureAwait(false);
        return answer.Address ?? throw last.Violation($"it answered RESOLVE with the name {answer.Host}, not an address", target.ToString());
    }

    /// <summary>
    /// Asks the chain's last hop for the name of <paramref name="address"/> (a reverse lookup) with Tor's
    /// RESOLVE_PTR extension (SOCKS5 CMD X'F1') and returns the name it answers.
    /// </summary>
    /// <param name="address">The address to look up.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The name the proxy answered.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    /// <exception cref="NotSupportedException">The last hop does not speak SOCKS5.</exception>
    /// <exception cref="SocksException">The proxy refused or failed (REP 4: no name), timed out, or broke the protocol.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<string> ResolveAddressAsync(IPAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        var last = LastHop;
        RequireSocks5(last, "RESOLVE_PTR");
        var target = DestinationResolver.FromAddress(last, address, 0);
        var answer = await RunAsync(token => RequestOnceAsync(last, ProxyCommand.ResolvePtr, target, token), cancellationToken).ConfigureAwait(false);
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
            using var connection = await Tunnel.OpenToLastHopAsync(Chain, buffer, cancellationToken).ConfigureAwait(false);
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
    /// <param name="cancellationToken">Cancels the request (not the association once it is open).</param>
    /// <returns>The association; disposing it ends the association.</returns>
    /// <exception cref="NotSupportedException">The chain has more than one hop, or the proxy does not speak SOCKS5.</exception>
    /// <exception cref="SocksException">The proxy could not be reached, refused, timed out or broke the protocol.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<SocksUdpClient> AssociateUdpAsync(CancellationToken cancellationToken = default)
    {
        if (Chain.Count != 1)
        {
            throw new NotSupportedException("UDP ASSOCIATE works with a single proxy: datagrams cannot pass through a chain of TCP tunnels.");
        }

        if (Chain[0].Protocol != SocksProtocol.Socks5)
        {
            throw new NotSupportedException("UDP ASSOCIATE needs a SOCKS5 proxy.");
        }

        return RunAsync(AssociateUdpCoreAsync, cancellationToken);
    }

    private async Task<SocksUdpClient> AssociateUdpCoreAsync(CancellationToken cancellationToken)
    {
        var buffer = HandshakeBuffer.Rent();
        try
        {
            var hop = LastHop;
            var control = await Tunnel.OpenToLastHopAsync(Chain, buffer, cancellationToken).ConfigureAwait(false);
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
