using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Windsock.Client.Gssapi;
using Windsock.Client.Handshake;
using Windsock.Protocol;
using Windsock.Protocol.Gssapi;
using Windsock.Protocol.Socks5;

namespace Windsock.Client;

/// <summary>
/// A UDP association through a SOCKS5 proxy. The control connection stays open for the association's
/// lifetime (RFC 1928: the association ends when it closes); disposing closes both sockets, and a
/// proxy closing the control connection fails pending and later receives.
/// One receive at a time; sends may overlap. Over a hop that protects with GSSAPI, every datagram to
/// the relay is an RFC 1961 encapsulated message whose token wraps the SOCKS UDP header and payload, and
/// every datagram from it must be one: others, and those that do not unwrap, are dropped.
/// </summary>
public sealed class SocksUdpClient : IDisposable, IAsyncDisposable
{
    /// <summary>The largest datagram IPv4 can carry; the header travels inside it.</summary>
    private const int MaxDatagramSize = 65535;

    private readonly ProxyConnection _control;
    private readonly GssapiSession? _gssapi;
    private readonly Socket _udp;
    private readonly HopContext _hop;

    // Allocated once: each receive lands here and only the payload is copied to the caller.
    private readonly byte[] _receiveBuffer = GC.AllocateUninitializedArray<byte>(MaxDatagramSize);
    private readonly Task _watchControl;
    private int _receiving;
    private int _disposed;
    private volatile bool _controlClosed;

    internal SocksUdpClient(ProxyConnection control, Socket udp, HopContext hop, IPEndPoint relay)
    {
        _control = control;
        _gssapi = (control.Stream as GssapiStream)?.Session;
        _udp = udp;
        _hop = hop;
        RelayEndPoint = relay;

        // Connected: the kernel drops datagrams from anyone but the relay, and sends need no address.
        _udp.Connect(relay);
        _watchControl = WatchControlAsync();
    }

    /// <summary>The proxy's UDP relay, where datagrams are sent.</summary>
    public IPEndPoint RelayEndPoint { get; }

    /// <summary>This side's UDP address, as announced to the proxy.</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_udp.LocalEndPoint!;

    /// <summary>The proxy that relays the datagrams.</summary>
    public ProxyHop Proxy => _hop.Hop;

    /// <summary>Sends one datagram to <paramref name="destination"/> (an <see cref="IPEndPoint"/> or <see cref="DnsEndPoint"/>) through the relay.</summary>
    /// <param name="payload">The datagram's payload.</param>
    /// <param name="destination">Where it goes: an address, or a name the proxy resolves.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes when the datagram is sent to the relay.</returns>
    /// <exception cref="ArgumentException">The payload does not fit one datagram with its header (and, under GSSAPI, its wrap).</exception>
    /// <exception cref="SocksException">The proxy closed the association.</exception>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> payload, EndPoint destination, CancellationToken cancellationToken = default)
    {
        var target = destination is IPEndPoint ip
            ? SocksEndpoint.FromEndPoint(ip)
            : (await DestinationResolver.ResolveAsync(_hop, destination, cancellationToken).ConfigureAwait(false))[0];
        var header = new Socks5UdpHeader(Fragment: 0, target);
        int headerLength = header.EncodedLength;
        if (headerLength + payload.Length > MaxDatagramSize)
        {
            throw new ArgumentException($"A payload of {payload.Length} bytes does not fit one datagram with its {headerLength}-byte SOCKS header.", nameof(payload));
        }

        var buffer = ArrayPool<byte>.Shared.Rent(headerLength + payload.Length);
        GssapiFrameBuffer? frame = null;
        try
        {
            header.Write(buffer);
            payload.Span.CopyTo(buffer.AsSpan(headerLength));
            ReadOnlyMemory<byte> datagram = buffer.AsMemory(0, headerLength + payload.Length);
            if (_gssapi is not null)
            {
                frame = new GssapiFrameBuffer();
                if (!_gssapi.TryWrap(datagram.Span, frame) || frame.Written.Length > MaxDatagramSize)
                {
                    throw new ArgumentException($"A payload of {payload.Length} bytes does not fit one datagram once wrapped by GSSAPI.", nameof(payload));
                }

                datagram = frame.Written;
            }

            await _udp.SendAsync(datagram, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (_controlClosed && e is SocketException or ObjectDisposedException)
        {
            throw _hop.Closed("the UDP association", e);
        }
        finally
        {
            frame?.Dispose();
            ArrayPool<byte>.Shared.Return(buffer, clearArray: _gssapi is not null);
        }
    }

    /// <summary>Sends one datagram to <paramref name="host"/>:<paramref name="port"/>: an address, or a name the proxy resolves.</summary>
    /// <param name="payload">The datagram's payload.</param>
    /// <param name="host">An IP address literal or a name.</param>
    /// <param name="port">The destination's UDP port.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes when the datagram is sent to the relay.</returns>
    /// <exception cref="ArgumentException"><paramref name="host"/> is blank, or the payload does not fit one datagram with its header.</exception>
    /// <exception cref="SocksException">The proxy closed the association.</exception>
    public ValueTask SendAsync(ReadOnlyMemory<byte> payload, string host, int port, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        return SendAsync(payload, IPAddress.TryParse(host, out var address) ? new IPEndPoint(address, port) : new DnsEndPoint(host, port), cancellationToken);
    }

    /// <summary>
    /// Waits for the next datagram from the relay and copies its payload to the start of <paramref name="buffer"/>.
    /// Datagrams with a malformed header or FRAG != 0 are dropped. A payload larger than the buffer
    /// fails with <see cref="SocketError.MessageSize"/>, as a plain UDP socket does.
    /// </summary>
    /// <param name="buffer">Where the payload goes.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The payload's length and its sender.</returns>
    /// <exception cref="InvalidOperationException">Another receive is already waiting.</exception>
    /// <exception cref="SocketException">The payload is larger than <paramref name="buffer"/> (<see cref="SocketError.MessageSize"/>).</exception>
    /// <exception cref="SocksException">The proxy closed the association.</exception>
    public async ValueTask<SocksUdpReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _receiving, 1) == 1)
        {
            throw new InvalidOperationException("Another ReceiveAsync is already waiting on this association.");
        }

        try
        {
            while (true)
            {
                int received = await _udp.ReceiveAsync(_receiveBuffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                var datagram = _receiveBuffer.AsSpan(0, received);
                if (_gssapi is not null && !TryUnwrap(ref datagram))
                {
                    continue;
                }

                // Drop anything that is not a whole standalone datagram: this client does not reassemble
                // fragments, and RFC 1928 lets it drop them.
                var parsed = Socks5UdpHeader.TryParse(datagram, out var header);
                if (!parsed.IsDone || !header.IsStandalone)
                {
                    continue;
                }

                var sender = header.Address;
                int headerLength = parsed.Consumed;

                int length = datagram.Length - headerLength;
                if (length > buffer.Length)
                {
                    throw new SocketException((int)SocketError.MessageSize);
                }

                datagram.Slice(headerLength, length).CopyTo(buffer.Span);
                EndPoint from = sender.Address is { } address ? new IPEndPoint(address, sender.Port) : new DnsEndPoint(sender.Host!, sender.Port);
                return new SocksUdpReceiveResult(length, from);
            }
        }
        catch (Exception e) when (_controlClosed && e is SocketException or ObjectDisposedException)
        {
            throw _hop.Closed("the UDP association", e);
        }
        finally
        {
            Volatile.Write(ref _receiving, 0);
        }
    }

    /// <summary>One encapsulated message filling the whole datagram, unwrapped in place; false for anything to drop.</summary>
    private bool TryUnwrap(ref Span<byte> datagram)
    {
        var parsed = GssapiMessage.TryParse(datagram, out var message);
        if (!parsed.IsDone || parsed.Consumed != datagram.Length || message.Type != GssapiMessageType.Encapsulated)
        {
            return false;
        }

        var token = datagram.Slice(GssapiMessage.HeaderLength, message.TokenLength);
        if (_gssapi!.TryUnwrapInPlace(token, out int offset, out int length) is not null)
        {
            return false;
        }

        datagram = token.Slice(offset, length);
        return true;
    }

    /// <summary>Receives the next datagram into a new array of its exact size.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The datagram: its payload and its sender.</returns>
    /// <exception cref="InvalidOperationException">Another receive is already waiting.</exception>
    /// <exception cref="SocksException">The proxy closed the association.</exception>
    public async ValueTask<SocksUdpDatagram> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(MaxDatagramSize);
        try
        {
            var result = await ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
            return new SocksUdpDatagram(buffer.AsSpan(0, result.ReceivedBytes).ToArray(), result.RemoteEndPoint);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task WatchControlAsync()
    {
        // The proxy sends nothing on the control connection; reading only notices that it closed (or,
        // protected, that it aborted or sent something that does not unwrap).
        var probe = new byte[1];
        try
        {
            while (await _control.Stream.ReadAsync(probe).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
        }

        if (Volatile.Read(ref _disposed) == 0)
        {
            _controlClosed = true;
            _udp.Dispose();
        }
    }

    /// <summary>Ends the association: closes the UDP socket and the control connection.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _udp.Dispose();
        _control.Dispose();
    }

    /// <summary>As <see cref="Dispose"/>, and waits until the watch on the control connection has ended.</summary>
    /// <returns>A task that completes when everything is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        Dispose();
        await _watchControl.ConfigureAwait(false);
    }
}
