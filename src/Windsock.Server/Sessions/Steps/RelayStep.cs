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
    /// <summary>
    /// A plain session whose handshake ran on the handshake loop relays there too, to its end (Linux): no hand-off to the
    /// thread pool from accept to close. True when that relay started: the session is then
    /// <see cref="ClientConnection.Detached"/> and owned by the relay with <paramref name="peer"/>, which it closes and
    /// ends when it ends; the caller returns at once. The name is the relay mode's, whatever runs it.
    /// </summary>
    public static bool TryRelayOnLoop(ClientConnection client, Socket peer, CancellationToken cancellationToken)
    {
        var options = client.Context.Options;
        if (!HandshakeLoop.OnLoopThread || client.Protection is not null || client.Limits is { IsPaced: true })
        {
            return false;
        }

        client.Record.RelayMode = options.RelayMode == RelayMode.Copy || !SplicePipePool.IsSupported ? "copy" : "splice";
        client.Detached = true;
        if (LoopRelay.TryStart(client, peer, options.RelayMode, options.RelayBufferSize, options.IdleTimeout, client.Context.Time, cancellationToken))
        {
            return true;
        }

        client.Detached = false;
        return false;
    }

    /// <summary>Relays to the end; returns the end reason for the log.</summary>
    public static async Task<string> RunAsync(ClientConnection client, Socket peer, CancellationToken cancellationToken)
    {
        var options = client.Context.Options;

        // Every other relay runs as long as its data flows, never on the handshake loop. Where its first wait parks in
        // the relay's own epoll set (Linux, a plain session), it returns at that wait, before moving a byte, and goes on
        // on the thread pool: it may start here. Otherwise (a zero-byte receive that may complete at once) it starts there.
        if (client.Protection is not null || !ReadinessWaits.IsAvailable)
        {
            await HandshakeLoop.LeaveAsync();
        }

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

        return Describe(end);
    }

    /// <summary>The end reason the request log gives for <paramref name="end"/>.</summary>
    internal static string Describe(RelayEnd end) =>
        end switch
        {
            RelayEnd.Closed => "closed",
            RelayEnd.IdleTimeout => "idle timeout",
            RelayEnd.Shutdown => "server shutdown",
            RelayEnd.ClientError => "client connection failed",
            _ => "destination connection failed",
        };
}
