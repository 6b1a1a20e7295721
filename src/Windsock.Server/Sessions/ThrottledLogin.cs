using Windsock.Protocol.UsernamePassword;
using Windsock.Server.Authentication;
using Windsock.Server.Logging;

namespace Windsock.Server.Sessions;

/// <summary>The RFC 1929 check behind the login throttle: wait out a throttled key, or refuse without a hash.</summary>
internal static class ThrottledLogin
{
    /// <summary>
    /// The back end's verdict once the login throttle lets the attempt through, or null when the wait
    /// would outlast half the negotiation time: the attempt then waits that half and is refused without a
    /// hash. The throttle keys on the name whether or not it exists, so unknown users wait and are refused
    /// exactly as known ones.
    /// </summary>
    public static async Task<CredentialVerdict?> VerifyAsync(SessionContext context, SessionRecord record, UsernamePasswordRequest credentials, CancellationToken token)
    {
        var throttle = context.Guards.Logins;
        var attempt = throttle.Begin(record.Client.Address, credentials.UserName);
        var outcome = LoginOutcome.NotTried;
        try
        {
            if (attempt.Wait > TimeSpan.Zero)
            {
                double max = throttle.Options.MaxDelay.TotalSeconds;
                double wait = Math.Round(attempt.Wait.TotalSeconds, 1);
                if (attempt.FirstForSource)
                {
                    LimitLog.SourceThrottled(context.Logger, attempt.Source.ToString(), attempt.SourceFailures, wait, max);
                }

                if (attempt.FirstForUser)
                {
                    LimitLog.UserThrottled(context.Logger, credentials.UserName, attempt.UserFailures, wait, max);
                }

                // The guesser waits either way (holding a socket, no thread and no CPU), so a client that
                // reconnects at once after each refusal is slowed as much as one that waits its turn.
                var budget = context.Options.NegotiationTimeout / 2;
                await Task.Delay(attempt.Wait < budget ? attempt.Wait : budget, context.Time, token).ConfigureAwait(false);
                if (attempt.Wait > budget)
                {
                    record.EndReason = $"authentication throttled: {attempt.SourceFailures} recent failures from {attempt.Source}, "
                        + $"{attempt.UserFailures} for this user name; next attempt allowed {(attempt.Wait - budget).TotalSeconds:0.#}s after this refusal";
                    return null;
                }
            }

            var verdict = await context.Credentials!.VerifyAsync(credentials.UserName, credentials.Password, record.Client.Address, token).ConfigureAwait(false);
            outcome = verdict.Accepted ? LoginOutcome.Accepted : LoginOutcome.Failed;
            return verdict;
        }
        finally
        {
            throttle.End(attempt, outcome);
        }
    }
}
