using System.Net.Sockets;
using Windsock.Server.Gssapi;
using Windsock.Server.Relay;

namespace Windsock.Server.Sessions.Steps;

/// <summary>
/// Step 8, relay: bytes both ways between the client and a connected peer (CONNECT's destination, BIND's peer)
/// until both are done. The one place a relay strategy is chosen: the plain copy or splice, or the wrapping relay
/// of a GSSAPI-protected session.
/// </summary>
internal static class RelayStep
{
    /// <summary>Relays to the end; returns the end reason for the log.</summary>
    public static async Task<string> RunAsync(ClientConnection client, Socket peer, CancellationToken cancellationToken)
    {
        var options = client.Context.Options;

        // GSSAPI integrity/confidentiality: a message at a time, wrapped and unwrapped (and paced when limited);
        // otherwise the plain relay. A bandwidth-limited session takes the paced copy loop; every other keeps splice.
        var strategy = client.Protection is { } protection
            ? new GssapiWrapStrategy(protection, client.Limits is { IsPaced: true } limited ? limited : null)
            : client.Limits is { IsPaced: true } paced ? new PacedCopyStrategy(options.RelayBufferSize, paced)
            : RelayStrategy.Plain(options.RelayMode, options.RelayBufferSize);
        client.Record.RelayMode = strategy.Name;
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
