using System.Net;
using System.Net.Sockets;
using Windsock.Policy;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Server.Limits;
using Windsock.Server.Sessions;
using Windsock.Server.Sessions.Steps;

namespace Windsock.Server.Commands;

/// <summary>CONNECT: open the outbound connection, reply with its local address, relay until both sides are done.</summary>
internal static class ConnectCommand
{
    /// <summary>The dispatch step's entry: the bytes pipelined behind the request go out first; the reader is let go.</summary>
    public static Task HandleAsync(ClientConnection client, SessionRequest request, CancellationToken cancellationToken)
    {
        var pipelined = request.Reader.Leftover.ToArray();
        request.Reader.Dispose(); // no handshake buffer held for the life of the relay
        return RunAsync(client, request.Destination, pipelined, request.Pending, cancellationToken, request.Decided?.Rule);
    }

    /// <param name="client">The client side.</param>
    /// <param name="destination">Where to connect.</param>
    /// <param name="pipelined">Bytes the client sent behind its request.</param>
    /// <param name="access">The request as the rules see it, when its decision waits for the resolved address.</param>
    /// <param name="cancellationToken">Session shutdown.</param>
    /// <param name="decidedBy">The rule that allowed the request up front, whose via and source say how it goes out.</param>
    public static async Task RunAsync(ClientConnection client, SocksEndpoint destination, ReadOnlyMemory<byte> pipelined, AccessRequest? access, CancellationToken cancellationToken, AccessRule? decidedBy = null)
    {
        var context = client.Context;
        var record = client.Record;
        Decision? allowed = null;
        Func<IPAddress, Decision>? addressCheck = access is null ? null : address =>
        {
            var decision = context.Access.DecideAddress(access, address);
            if (decision.IsAllowed)
            {
                allowed = decision;
            }

            return decision;
        };

        var result = await context.Connector.ConnectAsync(destination, addressCheck, cancellationToken, decidedBy).ConfigureAwait(false);
        record.Outbound = result.Path;
        if (result.Denial is { } denial)
        {
            await client.DenyAsync(denial, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (allowed is not null)
        {
            context.Access.Apply(allowed, record, context);
        }

        if (!result.Succeeded)
        {
            record.EndReason = result.FailureReason;
            await client.ReplyAsync(result.Code, null, cancellationToken).ConfigureAwait(false);
            return;
        }

        using var outbound = result.Socket!;
        record.Connected = result.Connected;
        if (access is not null && !await SessionAdmission.AdmitAsync(client, access.User, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        await client.ReplyAsync(Socks5ReplyCode.Succeeded, (IPEndPoint)outbound.LocalEndPoint!, cancellationToken).ConfigureAwait(false);

        // Data the client sent right behind its request goes out before anything else.
        if (!pipelined.IsEmpty)
        {
            await outbound.SendAsync(pipelined, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            record.AddBytesUp(pipelined.Length);
        }

        // The relay runs as long as its data flows, never on the handshake loop. Where its first wait parks in the
        // relay's own epoll set (Linux, a plain session), it returns at that wait, before moving a byte, and goes on on
        // the thread pool: it may start here. Otherwise (a zero-byte receive that may complete at once) it starts there.
        if (client.Protection is not null || !Relay.ReadinessWaits.IsAvailable)
        {
            await HandshakeLoop.LeaveAsync();
        }

        record.EndReason = await RelayStep.RunAsync(client, outbound, cancellationToken).ConfigureAwait(false);
    }
}
