using Windsock.Server.Limits;
using Windsock.Server.Logging;

namespace Windsock.Server.Sessions.Steps;

/// <summary>
/// Step 1, accept: is this client let in at all (<c>allowed_clients</c>, asked of the decision seam), and may
/// its source start one more handshake (<c>[limits]</c>)? Nothing is read from the client here.
/// </summary>
internal static class AcceptStep
{
    /// <summary>
    /// The lease on the source's unauthenticated-session count, held until the request is read; null when the
    /// connection is closed here (the reason is in the record).
    /// </summary>
    public static IDisposable? Admit(ClientConnection client)
    {
        var record = client.Record;
        var context = client.Context;
        if (context.Access.RefuseClient(record.Client.Address) is { } refusal)
        {
            record.EndReason = refusal;
            return null;
        }

        if (context.Guards.AdmitConnection(record.Client.Address) is { Refusal: { } tooFast } rate)
        {
            record.EndReason = tooFast;
            LimitLog.Refused(context.Logger, rate);
            context.Metrics.LimitHit(rate.Limit!);
            return null;
        }

        // Counted from accept until the request is read: one source cannot hold the server in handshakes.
        var source = SourceKey.From(record.Client.Address);
        var admission = context.Guards.Unauthenticated.TryAcquire(source, context.Options.Limits.UnauthenticatedPerSource);
        if (admission.Lease is null)
        {
            record.EndReason = admission.Refusal;
            LimitLog.Refused(context.Logger, admission);
            context.Metrics.LimitHit(context.Guards.Unauthenticated.Name);
        }

        return admission.Lease;
    }
}
