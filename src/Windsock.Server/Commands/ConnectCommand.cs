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

        Socket? outbound = result.Socket!;
        try
        {
            if (await ReplyAndRelayAsync(client, outbound, result.Connected, access, pipelined, cancellationToken).ConfigureAwait(false))
            {
                outbound = null; // the relay on the loop owns it now, and the session's end
            }
        }
        finally
        {
            outbound?.Dispose();
        }
    }

    /// <summary>Replies, sends the pipelined bytes and relays; true when the relay runs on the loop on its own.</summary>
    private static async Task<bool> ReplyAndRelayAsync(ClientConnection client, Socket outbound, IPEndPoint? connected, AccessRequest? access, ReadOnlyMemory<byte> pipelined, CancellationToken cancellationToken)
    {
        var record = client.Record;
        record.Connected = connected;
        if (access is not null && !await SessionAdmission.AdmitAsync(client, access.User, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        await client.ReplyAsync(Socks5ReplyCode.Succeeded, ConnectNative.LocalEndPointOf(outbound), cancellationToken).ConfigureAwait(false);

        // Data the client sent right behind its request goes out before anything else: with one non-blocking send
        // where it fits (nearly always), so the socket engine never learns of the destination.
        if (!pipelined.IsEmpty)
        {
            int sent = LoopNative.SendNow(outbound.SafeHandle, pipelined.Span);
            if (sent < pipelined.Length)
            {
                if (sent < 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() is not (LoopNative.EAGAIN or LoopNative.EINTR))
                {
                    sent = 0; // the send below reports the failure as .NET does
                }

                await outbound.SendAsync(pipelined[Math.Max(sent, 0)..], SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }

            record.AddBytesUp(pipelined.Length);
        }

        if (RelayStep.TryRelayOnLoop(client, outbound, cancellationToken))
        {
            return true;
        }

        record.EndReason = await RelayStep.RunAsync(client, outbound, cancellationToken).ConfigureAwait(false);
        return false;
    }
}
