using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Windsock.Protocol;
using Windsock.Protocol.Gssapi;
using Windsock.Protocol.Socks5;
using Windsock.Server.Gssapi;
using Windsock.Server.Limits;
using Windsock.Server.Logging;
using Windsock.Server.Loops;
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
internal sealed partial class UdpAssociation
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
    private readonly UdpTurn _handling = new();
    private readonly Socket _control;
    private readonly SessionRecord _record;
    private readonly UdpRecord _counts;
    private readonly SessionContext _context;

    // The client's address (port 0): the only one datagrams are taken from.
    private readonly UdpEndpointKey _clientAddress;
    private readonly HashSet<UdpEndpointKey> _peers = [];

    // Verdicts on the address destinations the client has named, keyed by their bytes and tagged with the
    // rules' generation, each with the socket address the relay sends to: a datagram to a destination seen
    // before makes no object and asks no rule.
    private readonly Dictionary<UdpEndpointKey, UdpDestination> _destinations = [];
    private readonly bool _ipv6Usable;
    private readonly GssapiSecurity? _protection;
    private readonly GssapiFrameBuffer? _message;
    private readonly IUdpDatagramDecisions _decisions;

    // Set by the client's first well-formed datagram: its endpoint, and the same as the client-side socket's address to send to.
    private UdpEndpointKey? _client;
    private SocketAddress? _clientSocketAddress;
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
        _clientAddress = UdpEndpointKey.From(clientAddress, 0);
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

    /// <summary>Runs until the first end condition; returns the end reason for the request log.</summary>
    public async Task<string> RunAsync(CancellationToken shutdown)
    {
        // On Linux the relay sockets are read on the datagram loop's thread; elsewhere (or when epoll refuses them)
        // by one async receive loop per socket. A GSSAPI-protected association would hand every client datagram
        // off (unwrapping calls into the GSS library), so it keeps the async loops from the start.
        if (_protection is null && DatagramLoop.IsAvailable && await RunOnLoopAsync(shutdown).ConfigureAwait(false) is { } ended)
        {
            return ended;
        }

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
        // Filled in place by every receive: the sender, read as a key, never as an IPEndPoint.
        var from = new SocketAddress(socket.AddressFamily);
        var turn = new UdpTurn.Waiter();
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
                        int received = await socket.ReceiveFromAsync(buffer.AsMemory(HeaderRoom, MaxDatagram), SocketFlags.None, from, token).ConfigureAwait(false);
                        await _handling.EnterAsync(turn).ConfigureAwait(false);
                        handling = true;
                        token.ThrowIfCancellationRequested();
                        await HandleAsync(buffer, received, from, socket, token).ConfigureAwait(false);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        if (handling)
                        {
                            _message?.Release(); // an idle association holds no wrap buffer either
                            _handling.Exit();
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

    private async ValueTask HandleAsync(byte[] buffer, int length, SocketAddress from, Socket arrivedOn, CancellationToken token)
    {
        var source = UdpEndpointKey.From(from);
        switch (Classify(source, arrivedOn))
        {
            case Sender.Client:
                await FromClientAsync(buffer, length, from, source, token).ConfigureAwait(false);
                break;
            case Sender.Peer:
                await ToClientAsync(buffer, length, source, token).ConfigureAwait(false);
                break;
        }
    }

    private enum Sender
    {
        Client,
        Peer,
        Dropped,
    }

    /// <summary>Who sent a datagram, after the rate limit; a datagram from anyone else is dropped (and counted) here.</summary>
    private Sender Classify(UdpEndpointKey source, Socket arrivedOn)
    {
        // The client is taken on the announced socket only, peers on the outside ones only.
        bool fromClient = arrivedOn == _clientSide && IsClient(source);
        bool fromPeer = !fromClient && _outside.Owns(arrivedOn) && _client is not null && _peers.Contains(source);
        if ((fromClient || fromPeer) && _rate is not null && !_rate.TryTake())
        {
            Drop(UdpDropReason.RateLimited, source, LogsDrops ? string.Create(CultureInfo.InvariantCulture, $"limit udp_datagrams_per_second={_rate.Rate} reached") : string.Empty);
            return Sender.Dropped;
        }

        if (fromClient || fromPeer)
        {
            return fromClient ? Sender.Client : Sender.Peer;
        }

        var reason = source.SameAddress(_clientAddress) ? UdpDropReason.WrongSourcePort : UdpDropReason.UnknownSender;
        Drop(reason, source, !LogsDrops ? string.Empty : reason == UdpDropReason.WrongSourcePort ? $"the association is pinned to port {_clientPort}" : "not the client, and not a host the client has sent to");
        return Sender.Dropped;
    }

    private bool IsClient(UdpEndpointKey source) =>
        source.SameAddress(_clientAddress) && (_clientPort == 0 || source.Port == _clientPort);

    private async ValueTask FromClientAsync(byte[] buffer, int length, SocketAddress from, UdpEndpointKey source, CancellationToken token)
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

        // The common case, an address destination seen before, is read from the header's bytes and sent on
        // with the verdict and socket address kept for it; a name, a fragment or a malformed header takes the
        // full parse below, which also says what is wrong.
        if (Socks5UdpHeader.TryReadAddressLiteral(datagram.Span, out byte fragment, out var address, out ushort port, out int headerLength) && fragment == 0)
        {
            LearnClient(from, source);
            Touch();
            var destination = ChooseAddressDestination(UdpEndpointKey.FromBytes(address, port), source);
            if (destination is not null)
            {
                await SendOnAsync(datagram[headerLength..], destination.Target, destination.EndPoint, source, token).ConfigureAwait(false);
            }

            return;
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

        LearnClient(from, source);
        Touch();
        var resolved = await ChooseNamedDestinationAsync(header.Address, source, token).ConfigureAwait(false);
        if (resolved is null || !AddPeer(UdpEndpointKey.From(resolved.Address, resolved.Port), source))
        {
            return;
        }

        await SendOnAsync(datagram[parsed.Consumed..], null, resolved, source, token).ConfigureAwait(false);
    }

    /// <summary>The first well-formed datagram tells the client's port; from then on only that port is the client.</summary>
    private void LearnClient(SocketAddress from, UdpEndpointKey source)
    {
        if (_client is null)
        {
            _clientPort = source.Port;
            _client = source;

            // The receive fills its socket address in place for the next datagram: keep a copy to send to.
            var copy = new SocketAddress(from.Family, from.Size);
            from.Buffer.CopyTo(copy.Buffer);
            _clientSocketAddress = copy;
        }
    }

    /// <summary>
    /// Where a datagram to an address goes: its kept verdict when it is of the rules' current generation, else
    /// decided now (and kept, denials too, so a flood to a denied address asks no rule either). Null when the
    /// datagram is dropped (already counted).
    /// </summary>
    private UdpDestination? ChooseAddressDestination(UdpEndpointKey requested, UdpEndpointKey source)
    {
        int generation = _decisions.Generation;
        if (!_destinations.TryGetValue(requested, out var destination) || destination.Generation != generation)
        {
            destination = DecideAddressDestination(requested, generation, source);
            if (destination is null)
            {
                return null;
            }
        }

        if (!destination.Allowed)
        {
            Drop(UdpDropReason.Denied, source, LogsDrops ? $"destination {destination.EndPoint} not allowed" : string.Empty);
            return null;
        }

        return destination;
    }

    private UdpDestination? DecideAddressDestination(UdpEndpointKey requested, int generation, UdpEndpointKey source)
    {
        var target = requested.ToIPEndPoint();
        if (requested.Port == 0)
        {
            Drop(UdpDropReason.InvalidDestination, source, $"destination {target} has port 0");
            return null;
        }

        if (!CanSendTo(target.Address))
        {
            Drop(UdpDropReason.InvalidDestination, source, $"cannot send to {target}");
            return null;
        }

        bool allowed = _decisions.IsAllowed(SocksEndpoint.FromEndPoint(target), target);
        if (allowed && !AddPeer(requested, source))
        {
            return null;
        }

        if (_destinations.Count >= MaxPeers * 2)
        {
            // A client spraying addresses: start over rather than grow (the verdicts are cheap to make again).
            _destinations.Clear();
        }

        var destination = new UdpDestination(target, SocketAddressFor(target), allowed, generation);
        _destinations[requested] = destination;
        return destination;
    }

    /// <summary>Makes <paramref name="peer"/> one the client has sent to (who may answer); false when the association already has too many.</summary>
    private bool AddPeer(UdpEndpointKey peer, UdpEndpointKey source)
    {
        if (_peers.Contains(peer))
        {
            return true;
        }

        if (_peers.Count >= MaxPeers)
        {
            Drop(UdpDropReason.TooManyPeers, source, $"already {MaxPeers} destinations in this association");
            return false;
        }

        _peers.Add(peer);
        return true;
    }

    /// <summary>The destination in the form of the outside socket that sends to it: IPv4 as IPv4-mapped on a dual-mode socket.</summary>
    private SocketAddress SocketAddressFor(IPEndPoint target) =>
        _outside.For(target.Address).AddressFamily == AddressFamily.InterNetworkV6 && target.AddressFamily == AddressFamily.InterNetwork
            ? new IPEndPoint(target.Address.MapToIPv6(), target.Port).Serialize()
            : target.Serialize();

    /// <summary>Sends the payload to the destination (to <paramref name="target"/> when it is known already) and counts it.</summary>
    private async ValueTask SendOnAsync(ReadOnlyMemory<byte> payload, SocketAddress? target, IPEndPoint destination, UdpEndpointKey source, CancellationToken token)
    {
        var outside = _outside.For(destination.Address);
        if (_onLoop)
        {
            // The relay's sockets stay off the socket engine unless a send must wait (see TrySendNow).
            target ??= SocketAddressFor(destination);
            if (TrySendNow(outside, payload.Span, target, destination, source) is not SocketError.WouldBlock)
            {
                return;
            }
        }

        try
        {
            if (target is not null)
            {
                await outside.SendToAsync(payload, SocketFlags.None, target, token).ConfigureAwait(false);
            }
            else
            {
                await outside.SendToAsync(payload, SocketFlags.None, destination, token).ConfigureAwait(false);
            }
        }
        catch (SocketException e)
        {
            Drop(UdpDropReason.SendFailed, source, $"to {destination}: {e.SocketErrorCode}");
            return;
        }

        CountUp(payload.Length);
    }

    private void CountUp(int length)
    {
        _counts.AddUp();
        _record.AddBytesUp(length);
    }

    /// <summary>
    /// Where a datagram naming a host goes, decided as CONNECT decides: on the name before it is looked up, then
    /// on each of its addresses in the resolver's order, the first one the relay can send to and the rules allow.
    /// Null when the datagram is dropped (already counted).
    /// </summary>
    private async ValueTask<IPEndPoint?> ChooseNamedDestinationAsync(SocksEndpoint requested, UdpEndpointKey source, CancellationToken token)
    {
        if (requested.Port == 0)
        {
            Drop(UdpDropReason.InvalidDestination, source, $"destination {requested} has port 0");
            return null;
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

    private async ValueTask ToClientAsync(byte[] buffer, int length, UdpEndpointKey sender, CancellationToken token)
    {
        // The header goes into the room left in front of the payload: one send, no copy.
        ReadOnlyMemory<byte> datagram = buffer.AsMemory(WriteReplyHeader(buffer, length, sender));
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

        await SendToClientAsync(datagram, length, sender, token).ConfigureAwait(false);
    }

    /// <summary>Writes the SOCKS header naming <paramref name="sender"/> in front of the payload at <see cref="HeaderRoom"/>; the reply's range in <paramref name="buffer"/>.</summary>
    private static Range WriteReplyHeader(byte[] buffer, int length, UdpEndpointKey sender)
    {
        int headerLength = 3 + sender.Socks5Length;
        int start = HeaderRoom - headerLength;
        buffer[start] = 0;
        buffer[start + 1] = 0;
        buffer[start + 2] = 0;
        sender.WriteSocks5(buffer.AsSpan(start + 3));
        return new Range(start, HeaderRoom + length);
    }

    /// <summary>Sends a reply (header and <paramref name="length"/> bytes of payload, wrapped or not) to the client and counts it.</summary>
    private async ValueTask SendToClientAsync(ReadOnlyMemory<byte> datagram, int length, UdpEndpointKey sender, CancellationToken token)
    {
        if (_onLoop && TrySendToClientNow(datagram.Span, length, sender) is not SocketError.WouldBlock)
        {
            return;
        }

        try
        {
            await _clientSide.SendToAsync(datagram, SocketFlags.None, _clientSocketAddress!, token).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            Drop(UdpDropReason.SendFailed, sender, $"to the client {_client}: {e.SocketErrorCode}");
            return;
        }

        CountDown(length);
    }

    private void CountDown(int length)
    {
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

    // Drops are logged at debug level: where one can come per datagram (a flood), its text is made only then.
    private bool LogsDrops => _context.Logger.IsEnabled(LogLevel.Debug);

    private void Drop(UdpDropReason reason, UdpEndpointKey source, string detail)
    {
        _counts.AddDrop(reason);
        if (LogsDrops)
        {
            UdpLog.DatagramDropped(_context.Logger, _record.Id, source.ToIPEndPoint(), UdpRecord.Name(reason), detail);
        }
    }

    private static string DescribeTimeout(TimeSpan timeout) =>
        timeout.TotalSeconds >= 1 && timeout.Ticks % TimeSpan.TicksPerSecond == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{timeout.TotalSeconds:0}s")
            : string.Create(CultureInfo.InvariantCulture, $"{timeout.TotalMilliseconds:0}ms");
}
