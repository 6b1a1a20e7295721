using Windsock.Policy;
using Windsock.Protocol;
using Windsock.Server.Ident;
using Windsock.Server.Limits;

namespace Windsock.Server.Sessions.Steps;

/// <summary>
/// Step 6, decide: the access rules decide every command they know and the server serves, through the
/// decision seam (<see cref="Access.AccessGate"/>). A denial is answered here; a name whose decision waits for
/// its addresses goes on with <see cref="SessionRequest.Pending"/> set, and its command asks the gate again.
/// </summary>
internal static class DecideStep
{
    /// <summary>True when the request goes on to its command; false when it was refused here (answered and recorded).</summary>
    public static async Task<bool> RunAsync(ClientConnection client, SessionRequest request, CancellationToken cancellationToken)
    {
        if (PolicyCommands.FromSocks5(request.Command) is not { } command || !DispatchStep.Serves(request.Command))
        {
            return true;
        }

        var context = client.Context;
        var record = client.Record;
        var (decision, access) = context.Access.DecideRequest(record, client.Version, command, request.Destination);
        if (decision.Outcome == DecisionOutcome.Deny)
        {
            await client.DenyAsync(decision, cancellationToken).ConfigureAwait(false);
            return false;
        }

        // A rule's own ident mode (the old sockd's ?=i / ?=I per line) applies to SOCKS4 user ids.
        if (decision.Ident != IdentMode.Off && client.Version == SocksVersion.Socks4 && client.IdentAnswer is { } answer
            && IdentVerdict.Evaluate(decision.Ident, answer, record.User ?? string.Empty) is { } refusal)
        {
            record.Rule = decision.DecidedBy;
            record.EndReason = refusal.Reason;
            await client.ReplySocks4Async(refusal.Code, null, cancellationToken).ConfigureAwait(false);
            return false;
        }

        if (decision.Outcome == DecisionOutcome.NeedsAddress)
        {
            request.Pending = access;
        }
        else
        {
            request.Decided = decision;
            context.Access.Apply(decision, record, context);
            if (SessionAdmission.Counts(request.Command) && !await SessionAdmission.AdmitAsync(client, access.User, cancellationToken).ConfigureAwait(false))
            {
                return false;
            }
        }

        return true;
    }
}
