using Windsock.Server.Logging;
using Windsock.Server.Sessions;

namespace Windsock.Server.Limits;

/// <summary>
/// The one call a decided request makes to the session limits: admitted (the slots and bandwidth buckets go
/// on the connection, given back when the session ends), or refused with reply 1 (SOCKS4: 91) and the limit's
/// reason. Called once the deciding rule is known: right after the decision, or, for a name whose decision
/// waited for its addresses, after the connection to the allowed address.
/// </summary>
internal static class SessionAdmission
{
    /// <summary>The commands the session limits count: those that hold a session open (a RESOLVE is one lookup).</summary>
    public static bool Counts(Windsock.Protocol.Socks5.Socks5Command command) =>
        command is Windsock.Protocol.Socks5.Socks5Command.Connect or Windsock.Protocol.Socks5.Socks5Command.Bind or Windsock.Protocol.Socks5.Socks5Command.UdpAssociate;

    /// <param name="client">The decided session.</param>
    /// <param name="user">The user the rules saw (authenticated, or a SOCKS4 user id that ident confirmed); null for anonymous.</param>
    /// <param name="cancellationToken">Session shutdown.</param>
    /// <returns>False when refused: the reply is sent and the session should end.</returns>
    public static async Task<bool> AdmitAsync(ClientConnection client, string? user, CancellationToken cancellationToken)
    {
        var context = client.Context;
        if (!context.Options.Limits.LimitsSessions || client.Limits is not null)
        {
            return true;
        }

        var admission = context.Guards.AdmitSession(client.Record.Client.Address, user, client.Record.Rule);
        if (admission.Lease is SessionLimits held)
        {
            client.Limits = held;
            return true;
        }

        LimitLog.Refused(context.Logger, admission);
        context.Metrics.LimitHit(admission.Limit!);
        await client.RefuseAsync(admission.Refusal!, cancellationToken).ConfigureAwait(false);
        return false;
    }
}
