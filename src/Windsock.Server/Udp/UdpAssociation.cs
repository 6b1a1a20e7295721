using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Windsock.Protocol;
using Windsock.Protocol.Gssapi;
using Windsock.Protocol.Socks5;
using Windsock.Server.Gssapi;
using Windsock.Server.Limits;
using Windsock.Server.Logging;
using Windsock.Server.Sessions;

namespace Windsock.Server.Udp;

/// <summary>
/// One UDP ASSOCIATE from the reply to its end. Three waits run side by side and the first to finish
/// ends the association: the relay loop, a receive on the TCP control connection (RFC 1928: the
/// association lives exactly as long as it; any byte or EOF ends it), and the idle timer.
/// <para>
/// Every datagram on the relay socket is one of: from the client (its address, and its port once
/// known), parsed and sent on to the destination its header names; from a remote endpoint the client
/// has sent to, wrapped in a header naming that sender and sent to the client; or anything else,
/// dropped. Only remote endpoints the client has addressed may answer, so the relay does not open
/// the client to the whole network the way a full-cone NAT would.
/// </para>
/// <para>
/// On a GSSAPI-protected session (RFC 1961 section 5) each datagram between the client and the relay is one
/// encapsulated message (VER, MTYP 3, LEN, token) whose unwrapped content is the usual SOCKS UDP header and
/// data. A datagram from the client that is not one, or does not unwrap, is dropped and counted, not fatal:
/// anyone can send a datagram with the client's source address.
/// </para>
/// </summary>
internal sealed class UdpAssociation : IDisposable
{
    /// <summary>Distinct remote endpoints one association may talk to; bounds the memory a client can make us hold.</summary>
    public const int MaxPeers = 4096;

    // The largest UDP payload (IPv6 jumbograms aside) plus room in front to write the SOCKS header of a
    // reply in place, so a datagram is never copied.
    private const int MaxDatagram = 65535;
    private const int HeaderRoom = SocksLimits.MaxSocks5UdpHeaderLength;

    // Errors from the relay socket in a row before the association gives up (guards against a spin).
    private const int MaxConsecutiveErrors = 100;

    // Towards destinations: one socket per family, bound to that family's [outside] address when one is set.
    private readonly UdpOutsideSockets _outside;

    // The socket the client sends to, bound to exactly the announced address (replies leave from it).
    private readonly Socket _clientSide;

    // Two receive loops (client side, outside) share the association's state: one datagram is handled at a time.
    private readonly SemaphoreSlim _handling = new(1, 1);
    private readonly Socket _control;
    private readonly SessionRecord _record;
    private readonly UdpRecord _counts;
    private readonly SessionContext _context;
    private readonly IPAddress _clientAddress;
    private readonly HashSet<IPEndPoint> _peers = [];
    private readonly bool _ipv6Usable;
    private readonly GssapiSecurity? _protection;
    private readonly GssapiFrameBuffer? _message;
    private readonly IUdpDatagramDecisions _decisions;
    private IPEndPoint? _clientEndPoint;
    private int _clientPort;
    private long _lastActivity;

    // limits.udp_datagrams_per_second: one bucket per association, null without the limit.
    private readonly TokenBucket? _rate;

    /// <param name="outside">The association's sockets towards destinations.</param>
    /// <param name="control">The TCP control connection.</param>
    /// <param name="record">The session record, with its UDP part set.</param>
    /// <param name="context">What the server shares.</param>
    /// <param name="clientAddress">The control connection's remote address: the only address datagrams are taken from.</param>
    /// <param name="clientPort">The client's UDP source port when the request named one; 0 to learn it from the first datagram.</param>
    /// <param name="protection">The session's GSSAPI protection, when datagrams to and from the client are wrapped.</param>
    /// <param name="clientSide">The socket bound to the announced address that the client sends to.</param>
    public UdpAssociation(UdpOutsideSockets outside, Socket control, SessionRecord record, SessionContext context, IPAddress clientAddress, int clientPort, GssapiSecurity? protection, Socket clientSide)
    {
        _clientSide = clientSide;
        _protection = protection;
        _message = protection is null ? null : new GssapiFrameBuffer();
        _outside = outside;
        _control = control;
        _record = record;
        _counts = record.Udp ?? throw new ArgumentException("The record has no UDP part.", nameof(record));
        _context = context;
        _clientAddress = Plain(clientAddress);
        _clientPort = clientPort;
        _ipv6Usable = outside.CanSendIPv6;
        _lastActivity = context.Time.GetTimestamp();
        _decisions = context.UdpDestinationFilter.ForAssociation(record);
        if (context.Options.Limits.UdpDatagramsPerSecond is { } rate)
        {
            // A second's worth at once: a DNS client's burst of queries passes, a flood is held to the rate.
            _rate = new TokenBucket(rate, Math.Max(1, rate), context.Time);
        }
    }

    /// <summary>After <see cref="RunAsync"/> has returned (both receive loops are done).</summary>
    public void Dispose() => _handling.Dispose();

    /// <summary>Runs until the first end condition; returns the end reason for the request log.</summary>
    public async Task<string> RunAsync(CancellationToken shutdown)
    {
        using var end = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
        Task<string?>[] waits = [RelayAsync(_clientSide, end.Token), .. _outside.All.Select(socket => RelayAsync(socket, end.Token)), WatchControlAsync(end.Token), WatchIdleAsync(end.Token)];
        var first = await Task.WhenAny(waits).ConfigureAwait(false);
        await end.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(waits).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The others observed the end; their outcome does not matter.
        }

        return shutdown.IsCancellationRequested ? "server shutdown" : (first.IsCompletedSuccessfully ? first.Result : null) ?? "ended";
    }

    /// <summary>Any byte, EOF or error on the control connection ends the association.</summary>
    private async Task<string?> WatchControlAsync(CancellationToken token)
    {
        // One byte is all it takes to see either; the handshake buffer was returned before we got here.
        var one = new byte[1];
        try
        {
            int read = await _control.ReceiveAsync(one, SocketFlags.None, token).ConfigureAwait(false);
            return read == 0 ? "control connection closed" : "client sent data on the control connection";
        }
        catch (SocketException e)
        {
            return $"control connection failed: {e.SocketErrorCode}";
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private async Task<string?> WatchIdleAsync(CancellationToken token)
    {
        var timeout = _context.Options.Udp.IdleTimeout;
        var time = _context.Time;
        try
        {
            while (true)
            {
                var remaining = timeout - time.GetElapsedTime(Volatile.Read(ref _lastActivity));
                if (remaining <= TimeSpan.Zero)
                {
                    return string.Create(CultureInfo.InvariantCulture, $"idle timeout ({DescribeTimeout(timeout)})");
                }

                // Wakes at most once per timeout period of activity: cheap, and bounded by the association's life.
                await Task.Delay(remaining, time, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private async Task<string?> RelayAsync(Socket socket, CancellationToken token)
    {
        EndPoint any = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        int errors = 0;
        try
        {
            while (true)
            {
                try
                {
                    // Wait for a datagram without a buffer: an idle association holds none (a peek of
                    // zero bytes reports a queued datagram and leaves it queued).
                    await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.Peek, token).ConfigureAwait(false);
                    var buffer = ArrayPool<byte>.Shared.Rent(HeaderRoom + MaxDatagram);
                    bool handling = false;
                    try
                    {
                        var received = await socket.ReceiveFromAsync(buffer.AsMemory(HeaderRoom, MaxDatagram), SocketFlags.None, any, token).ConfigureAwait(false);
                        await _handling.WaitAsync(token).ConfigureAwait(false);
                        handling = true;
                        await HandleAsync(buffer, received.ReceivedBytes, Plain((IPEndPoint)received.RemoteEndPoint), socket, token).ConfigureAwait(false);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        if (handling)
                        {
                            _message?.Release(); // an idle association holds no wrap buffer either
                            _handling.Release();
                        }
                    }

                    errors = 0;
                }
                catch (SocketException e)
                {
                    // An ICMP error reported on a later receive is not the association's end; an
                    // endless run of errors is, or the loop would spin.
                    if (++errors >= MaxConsecutiveErrors)
                    {
                        return $"relay socket failed: {e.SocketErrorCode}";
                    }

                    UdpLog.RelayError(_context.Logger, _record.Id, e.SocketErrorCode.ToString());
                }
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private async ValueTask HandleAsync(byte[] buffer, int length, IPEndPoint source, Socket arrivedOn, CancellationToken token)
    {
        // The client is taken on the announced socket only, peers on the outside ones only.
        bool fromClient = arrivedOn == _clientSide && IsClient(source);
        bool fromPeer = !fromClient && _outside.Owns(arrivedOn) && _clientEndPoint is not null && _peers.Contains(source);
        bool known = fromClient || fromPeer;
        if (known && _rate is not null && !_rate.TryTake())
        {
            Drop(UdpDropReason.RateLimited, source, string.Create(CultureInfo.InvariantCulture, $"limit udp_datagrams_per_second={_rate.Rate} reached"));
            return;
        }

        if (fromClient)
        {
            await FromClientAsync(buffer, length, source, token).ConfigureAwait(false);
        }
        else if (fromPeer)
        {
            await ToClientAsync(buffer, length, source, _clientEndPoint!, token).ConfigureAwait(false);
        }
        else
        {
            var reason = source.Address.Equals(_clientAddress) ? UdpDropReason.WrongSourcePort : UdpDropReason.UnknownSender;
            Drop(reason, source, reason == UdpDropReason.WrongSourcePort ? $"the association is pinned to port {_clientPort}" : "not the client, and not a host the client has sent to");
        }
    }

    private bool IsClient(IPEndPoint source) =>
        source.Address.Equals(_clientAddress) && (_clientPort == 0 || source.Port == _clientPort);

    private async ValueTask FromClientAsync(byte[] buffer, int length, IPEndPoint source, CancellationToken token)
    {
        ReadOnlyMemory<byte> datagram = buffer.AsMemory(HeaderRoom, length);
        if (_protection is { } protection)
        {
            if (Unwrap(protection, datagram.Span) is { } refusal)
            {
                Drop(UdpDropReason.Unprotected, source, refusal);
                return;
            }

            datagram = _message!.Written;
        }

        var parsed = Socks5UdpHeader.TryParse(datagram.Span, out var header);
        if (!parsed.IsDone)
        {
            Drop(UdpDropReason.Malformed, source, parsed.Error.ToString());
            return;
        }

        if (!header.IsStandalone)
        {
            Drop(UdpDropReason.Fragmented, source, $"FRAG {header.Fragment}; fragments are not reassembled");
            return;
        }

        // The first well-formed datagram tells the client's port; from then on only that port is the client.
        if (_clientEndPoint is null)
        {
            _clientPort = source.Port;
            _clientEndPoint = source;
        }

        Touch();
        var destination = await ChooseDestinationAsync(header.Address, source, token).ConfigureAwait(false);
        if (destination is null)
        {
            return;
        }

        if (!_peers.Contains(destination))
        {
            if (_peers.Count >= MaxPeers)
            {
                Drop(UdpDropReason.TooManyPeers, source, $"already {MaxPeers} destinations in this association");
                return;
            }

            _peers.Add(destination);
        }

        var payload = datagram[parsed.Consumed..];
        try
        {
            await _outside.For(destination.Address).SendToAsync(payload, SocketFlags.None, destination, token).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            Drop(UdpDropReason.SendFailed, source, $"to {destination}: {e.SocketErrorCode}");
            return;
        }

        _counts.AddUp();
        _record.AddBytesUp(payload.Length);
    }

    /// <summary>
    /// Where a client's datagram goes, decided as CONNECT decides: an address on itself; a name on the name
    /// before it is looked up, then on each of its addresses in the resolver's order, the first one the relay
    /// can send to and the rules allow. Null when the datagram is dropped (already counted).
    /// </summary>
    private async ValueTask<IPEndPoint?> ChooseDestinationAsync(SocksEndpoint requested, IPEndPoint source, CancellationToken token)
    {
        if (requested.Port == 0)
        {
            Drop(UdpDropReason.InvalidDestination, source, $"destination {requested} has port 0");
            return null;
        }

        if (requested.Address is { } literal)
        {
            var target = new IPEndPoint(Plain(literal), requested.Port);
            if (!CanSendTo(target.Address))
            {
                Drop(UdpDropReason.InvalidDestination, source, $"cannot send to {requested}");
                return null;
            }

            if (!_decisions.IsAllowed(requested, target))
            {
                Drop(UdpDropReason.Denied, source, $"destination {target} not allowed");
                return null;
            }

            return target;
        }

        if (!_decisions.MayResolve(requested))
        {
            Drop(UdpDropReason.Denied, source, $"destination {requested} not allowed");
            return null;
        }

        var addresses = await _context.UdpNames.ResolveAsync(requested.Host!, token).ConfigureAwait(false);
        bool usable = false;
        foreach (var address in addresses)
        {
            if (!CanSendTo(address))
            {
                continue;
            }

            usable = true;
            var target = new IPEndPoint(address, requested.Port);
            if (_decisions.IsAllowed(requested, target))
            {
                return target;
            }
        }

        if (usable)
        {
            Drop(UdpDropReason.Denied, source, $"no address of {requested} is allowed");
        }
        else
        {
            Drop(UdpDropReason.Unresolved, source, addresses.Length == 0 ? $"{requested.Host} does not resolve" : $"{requested.Host} has no address this relay can send to");
        }

        return null;
    }

    /// <summary>The unspecified address is no destination, and an IPv6 one needs a relay that can send IPv6.</summary>
    private bool CanSendTo(IPAddress address) =>
        !address.Equals(IPAddress.Any) && !address.Equals(IPAddress.IPv6Any) && (_ipv6Usable || address.AddressFamily == AddressFamily.InterNetwork);

    private async ValueTask ToClientAsync(byte[] buffer, int length, IPEndPoint sender, IPEndPoint client, CancellationToken token)
    {
        // The header goes into the room left in front of the payload: one send, no copy.
        var header = new Socks5UdpHeader(0, SocksEndpoint.FromEndPoint(sender));
        int headerLength = header.EncodedLength;
        int start = HeaderRoom - headerLength;
        header.Write(buffer.AsSpan(start, headerLength));
        ReadOnlyMemory<byte> datagram = buffer.AsMemory(start, headerLength + length);
        if (_protection is { } protection)
        {
            if (datagram.Length > GssapiSecurity.MaxPlaintextPerMessage)
            {
                Drop(UdpDropReason.SendFailed, sender, $"{length} bytes are too many to wrap in one RFC 1961 message");
                return;
            }

            try
            {
                protection.WrapFrame(datagram.Span, _message!);
            }
            catch (GssapiFailureException e)
            {
                // One datagram the context would not wrap is that datagram's loss, not the association's end.
                Drop(UdpDropReason.SendFailed, sender, e.Message);
                return;
            }
            catch (ObjectDisposedException)
            {
                return; // the session is ending and took its context with it
            }

            datagram = _message!.Written;
        }

        try
        {
            await _clientSide.SendToAsync(datagram, SocketFlags.None, client, token).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            Drop(UdpDropReason.SendFailed, sender, $"to the client {client}: {e.SocketErrorCode}");
            return;
        }

        Touch();
        _counts.AddDown();
        _record.AddBytesDown(length);
    }

    /// <summary>Unwraps a client datagram into <see cref="_message"/>; returns why it is refused, or null.</summary>
    private string? Unwrap(GssapiSecurity protection, ReadOnlySpan<byte> datagram)
    {
        var parsed = GssapiMessage.TryParse(datagram, out var message);
        if (!parsed.IsDone || parsed.Consumed != datagram.Length)
        {
            return parsed.IsError ? $"not an RFC 1961 message: {parsed.Error}" : "not one whole RFC 1961 message";
        }

        if (message.Type != GssapiMessageType.Encapsulated)
        {
            return $"expected an encapsulated message (MTYP 3), got MTYP {(byte)message.Type}";
        }

        return protection.Unwrap(message.TokenIn(datagram), _message!);
    }

    private void Touch() => Volatile.Write(ref _lastActivity, _context.Time.GetTimestamp());

    private void Drop(UdpDropReason reason, IPEndPoint source, string detail)
    {
        _counts.AddDrop(reason);
        UdpLog.DatagramDropped(_context.Logger, _record.Id, source, UdpRecord.Name(reason), detail);
    }

    private static IPEndPoint Plain(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;

    private static IPAddress Plain(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static string DescribeTimeout(TimeSpan timeout) =>
        timeout.TotalSeconds >= 1 && timeout.Ticks % TimeSpan.TicksPerSecond == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{timeout.TotalSeconds:0}s")
            : string.Create(CultureInfo.InvariantCulture, $"{timeout.TotalMilliseconds:0}ms");
}
