using System.Net;
using System.Net.Sockets;
using Windsock.Policy;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Server.Gssapi;
using Windsock.Server.Limits;
using Windsock.Server.Relay;
using Windsock.Server.Sessions;

namespace Windsock.Server.Commands;

/// <summary>CONNECT: open the outbound connection, reply with its local address, relay until both sides are done.</summary>
internal static class ConnectCommand
{
    /// <param name="client">The client side.</param>
    /// <param name="destination">Where to connect.</param>
    /// <param name="pipelined">Bytes the client sent behind its request.</param>
    /// <param name="access">The request as the rules see it, when its decision waits for the resolved address.</param>
    /// <param name="cancellationToken">Session shutdown.</param>
    public static async Task RunAsync(ClientConnection client, SocksEndpoint destination, ReadOnlyMemory<byte> pipelined, AccessRequest? access, CancellationToken cancellationToken)
    {
        var context = client.Context;
        var record = client.Record;
        Decision? allowed = null;
        Func<IPAddress, Decision>? addressCheck = access is null ? null : address =>
        {
            var decision = context.Access.Decide(access with { ResolvedAddress = address });
            if (decision.IsAllowed)
            {
                allowed = decision;
            }

            return decision;
        };

        var result = await context.Connector.ConnectAsync(destination, addressCheck, cancellationToken).ConfigureAwait(false);
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

        record.EndReason = await RelayAsync(client, outbound, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Relays between the client and a connected peer; returns the end reason for the log. BIND shares it. The one
    /// place a relay is chosen: the plain copy, or the wrapping relay of a GSSAPI-protected session.
    /// </summary>
    public static async Task<string> RelayAsync(ClientConnection client, Socket peer, CancellationToken cancellationToken)
    {
        var options = client.Context.Options;

        // GSSAPI integrity/confidentiality: a message at a time, wrapped and unwrapped; otherwise the plain relay.
        // A bandwidth-limited session takes the paced copy loop; every other keeps splice.
        var strategy = client.Protection is { } protection
            ? new GssapiWrapStrategy(protection)
            : client.Limits is { IsPaced: true } paced ? new PacedCopyStrategy(options.RelayBufferSize, paced)
            : RelayStrategy.Plain(options.RelayMode, options.RelayBufferSize);
        var relay = new TcpRelay(client.Socket, peer, client.Record, strategy, options.IdleTimeout, client.Context.Time);
        var end = await relay.RunAsync(cancellationToken).ConfigureAwait(false);
        if (end == RelayEnd.ProtectionFailed)
        {
            var failure = relay.Refusal ?? "gssapi: message refused";
            GssapiLog.ProtectionFailed(client.Context.Logger, client.Record.Id, client.Record.User ?? "-", failure);
            return failure;
        }

        return end switch
        {
            RelayEnd.Closed => "closed",
            RelayEnd.IdleTimeout => "idle timeout",
            RelayEnd.Shutdown => "server shutdown",
            RelayEnd.ClientError => "client connection failed",
            _ => "destination connection failed",
        };
    }
}
