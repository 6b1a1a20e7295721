using System.Net;
using System.Net.Sockets;
using Windsock.Policy;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Server.Configuration;
using Windsock.Server.Limits;
using Windsock.Server.Logging;
using Windsock.Server.Outbound;
using Windsock.Server.Sessions;
using Windsock.Server.Sessions.Steps;

namespace Windsock.Server.Commands;

/// <summary>
/// BIND (SOCKS4 CD 2, SOCKS5 CMD 2): listen on the server's outside address, announce it in the
/// first reply, accept exactly one peer that passes the peer check, announce the peer in the second
/// reply, then relay as CONNECT does. The listener lives only while it is needed: it is closed when
/// the peer is accepted, at the timeout, and as soon as the client goes away.
/// </summary>
internal static class BindCommand
{
    /// <summary>The dispatch step's entry: bytes the client sent early go to the peer once it is there; the reader is let go.</summary>
    public static Task HandleAsync(ClientConnection client, SessionRequest request, CancellationToken cancellationToken)
    {
        var early = request.Reader.Leftover.ToArray();
        request.Reader.Dispose();
        return RunAsync(client, request.Destination, early, request.Pending, cancellationToken);
    }

    /// <param name="client">The client side.</param>
    /// <param name="destination">DST.ADDR and DST.PORT: the peer the client expects.</param>
    /// <param name="pipelined">Bytes the client sent behind its request.</param>
    /// <param name="access">The request as the rules see it, when DST.ADDR is a name whose decision waits for its addresses.</param>
    /// <param name="cancellationToken">Session shutdown.</param>
    public static async Task RunAsync(ClientConnection client, SocksEndpoint destination, ReadOnlyMemory<byte> pipelined, AccessRequest? access, CancellationToken cancellationToken)
    {
        var context = client.Context;
        var record = client.Record;
        var bind = context.Options.Bind;

        // Resolve and decide before listening: a name that fails, or whose every address the rules deny, is
        // answered without opening anything. A name is decided on each of its addresses, as CONNECT does, so
        // BIND to a name is held to the same rules as BIND to the address it stands for.
        IPAddress[]? resolved = null;
        if (destination.Host is { } host && (access is not null || bind.PeerCheck == PeerCheck.Strict))
        {
            var timeout = context.Options.ConnectTimeout;
            using var deadline = new CancellationTokenSource(timeout, context.Time);
            var lookup = await NameLookup.ResolveAsync(host, timeout, deadline.Token, cancellationToken, context.Metrics).ConfigureAwait(false);
            if (!lookup.Succeeded)
            {
                record.EndReason = $"BIND peer: {lookup.Failure}";
                await client.ReplyAsync(lookup.Code, null, cancellationToken).ConfigureAwait(false);
                return;
            }

            resolved = lookup.Addresses;
        }

        if (access is not null && resolved is not null)
        {
            var (decision, allowed) = context.Access.DecideEach(access, resolved);
            if (!decision.IsAllowed)
            {
                await client.DenyAsync(decision, cancellationToken).ConfigureAwait(false);
                return;
            }

            context.Access.Apply(decision, record, context);
            if (!await SessionAdmission.AdmitAsync(client, access.User, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            resolved = allowed; // in strict mode only an allowed address may be the peer
        }

        var filter = BindPeerFilter.Create(bind.PeerCheck, destination, resolved);
        // The peer's family decides the listener's (a name with an address in the client's family keeps the client's).
        var clientFamily = client.LocalEndPoint.Address.IsIPv4MappedToIPv6 ? AddressFamily.InterNetwork : client.LocalEndPoint.AddressFamily;
        var expectedPeer = destination.Address is { } named && !named.Equals(IPAddress.Any) && !named.Equals(IPAddress.IPv6Any) ? named
            : resolved is { Length: > 0 } && !resolved.Any(a => a.AddressFamily == clientFamily) ? resolved[0] : null;
        if (!BindListener.TryChoose(bind, client.LocalEndPoint.Address, expectedPeer, client.Version, context.Options.Outside, out var listenAddress, out var announceAddress, out var failure))
        {
            record.EndReason = failure;
            await client.ReplyAsync(Socks5ReplyCode.GeneralFailure, null, cancellationToken).ConfigureAwait(false);
            return;
        }

        // Each listener holds a descriptor for up to the BIND timeout: one source may hold only so many.
        var source = SourceKey.From(record.Client.Address);
        var admission = context.Guards.Binds.TryAcquire(source, context.Options.Limits.BindPerSource, source.ToString());
        if (admission.Lease is null)
        {
            record.EndReason = admission.Refusal;
            LimitLog.Refused(context.Logger, admission);
            context.Metrics.LimitHit(context.Guards.Binds.Name);
            await client.ReplyAsync(Socks5ReplyCode.GeneralFailure, null, cancellationToken).ConfigureAwait(false);
            return;
        }

        Socket? peer;
        byte[] early;
        using (admission.Lease)
        using (var listener = BindListener.Open(listenAddress, bind.PortRange, out failure))
        {
            if (listener is null)
            {
                record.EndReason = failure;
                await client.ReplyAsync(Socks5ReplyCode.GeneralFailure, null, cancellationToken).ConfigureAwait(false);
                return;
            }

            var announced = new IPEndPoint(announceAddress, ((IPEndPoint)listener.LocalEndPoint!).Port);
            record.BindAnnounced = announced;
            await client.ReplyAsync(Socks5ReplyCode.Succeeded, announced, cancellationToken).ConfigureAwait(false);

            long waitStarted = System.Diagnostics.Stopwatch.GetTimestamp();
            (peer, early) = await WaitForPeerAsync(client, listener, announced, filter, cancellationToken).ConfigureAwait(false);
            context.Metrics.BindWaited(peer is not null, System.Diagnostics.Stopwatch.GetElapsedTime(waitStarted));
        }

        // The listener is closed from here on: exactly one peer per BIND.
        if (peer is null)
        {
            return;
        }

        using (peer)
        {
            peer.NoDelay = true;
            var peerEndPoint = (IPEndPoint)peer.RemoteEndPoint!;
            record.Peer = peerEndPoint;
            await client.ReplyAsync(Socks5ReplyCode.Succeeded, peerEndPoint, cancellationToken).ConfigureAwait(false);

            if (client.Protection is { } protection)
            {
                // On a protected session those bytes are frames still to be unwrapped: the relay takes them first.
                protection.AddPendingInput(early);
                early = [];
            }

            // Bytes the client sent before the second reply go to the peer before anything else.
            foreach (var bytes in new[] { pipelined, early })
            {
                if (!bytes.IsEmpty)
                {
                    await peer.SendAsync(bytes, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                    record.AddBytesUp(bytes.Length);
                }
            }

            record.EndReason = await RelayStep.RunAsync(client, peer, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Accepts until a peer passes the filter, the timeout passes or the client goes away. Returns the
    /// peer and the bytes the client sent meanwhile, or no peer once the failure is answered and recorded.
    /// </summary>
    private static async Task<(Socket? Peer, byte[] Early)> WaitForPeerAsync(
        ClientConnection client, Socket listener, IPEndPoint announced, BindPeerFilter filter, CancellationToken cancellationToken)
    {
        var context = client.Context;
        var record = client.Record;
        var timeout = context.Options.Bind.Timeout;
        using var deadline = new CancellationTokenSource(timeout, context.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        await using var watch = ControlConnectionWatch.Start(client.Socket);

        // Bounded by the deadline: every pass awaits an accept under it.
        while (true)
        {
            var accept = listener.AcceptAsync(linked.Token).AsTask();
            if (await Task.WhenAny(accept, watch.Ended).ConfigureAwait(false) == watch.Ended)
            {
                // The client is gone (or broke the early-bytes limit): nobody to hand a peer to.
                record.EndReason = await watch.Ended.ConfigureAwait(false);
                listener.Dispose();
                await DiscardAsync(accept).ConfigureAwait(false);
                return (null, []);
            }

            Socket peer;
            try
            {
                peer = await accept.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                record.EndReason = $"no BIND peer within {timeout.TotalSeconds:0.###}s";
                listener.Dispose(); // closed before the reply, so the client never sees a port still open
                await watch.StopAsync().ConfigureAwait(false);
                await client.ReplyAsync(Socks5ReplyCode.TtlExpired, null, cancellationToken).ConfigureAwait(false);
                return (null, []);
            }

            var remote = (IPEndPoint)peer.RemoteEndPoint!;
            if (filter.Accepts(remote.Address) && PeerAllowed(client, remote))
            {
                var early = await watch.StopAsync().ConfigureAwait(false);
                if (await watch.Ended.ConfigureAwait(false) is { } gone)
                {
                    // The client left in the same moment the peer arrived.
                    record.EndReason = gone;
                    peer.Dispose();
                    return (null, []);
                }

                return (peer, early);
            }

            // Dante's behaviour: refuse the stranger and keep waiting for the peer the client named.
            ServerLog.BindPeerRefused(context.Logger, record.Id, remote, announced, filter.Describe());
            peer.LingerState = new LingerOption(true, 0); // a reset says "not for you" at once
            peer.Dispose();
        }
    }

    /// <summary>The peer that connects is a destination too: the access rules decide it as <c>bind</c>.</summary>
    private static bool PeerAllowed(ClientConnection client, IPEndPoint peer) =>
        client.Context.Access.AllowsBindPeer(client.Record, client.Version, peer);

    private static async Task DiscardAsync(Task<Socket> accept)
    {
        try
        {
            (await accept.ConfigureAwait(false)).Dispose();
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The listener was closed under it, which is the point.
        }
    }
}
