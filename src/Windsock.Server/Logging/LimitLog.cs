using Microsoft.Extensions.Logging;
using Windsock.Server.Limits;

namespace Windsock.Server.Logging;

/// <summary>
/// Per-client caps and the login throttle, in the diagnostic log. Each is written once per source (or
/// user name) and episode, not per refused attempt: a flood must not become a flood of log lines. The
/// request log still has one line per refused session, with the reason.
/// </summary>
internal static partial class LimitLog
{
    /// <summary>
    /// Every refusal by a limit passes here (the one place a "limit hits" counter, by
    /// <see cref="LimitAdmission.Limit"/>, belongs); the diagnostic line is written if it is the key's first
    /// refusal since it last held nothing.
    /// </summary>
    public static void Refused(ILogger logger, LimitAdmission admission)
    {
        if (admission.FirstRefusal)
        {
            LimitReached(logger, admission.Refusal!);
        }
    }

    [LoggerMessage(80, LogLevel.Warning, "{Reason}: further connections from it are refused while it stays at the limit (logged once until it holds none)")]
    public static partial void LimitReached(ILogger logger, string reason);

    [LoggerMessage(81, LogLevel.Warning, "Login throttling for {Source}: {Failures} recent failed logins; its attempts now wait {Wait}s, doubling per failure up to {Max}s (logged once until it has been quiet)")]
    public static partial void SourceThrottled(ILogger logger, string source, int failures, double wait, double max);

    [LoggerMessage(82, LogLevel.Warning, "Login throttling for user name '{User}': {Failures} recent failed logins from anywhere; its attempts now wait {Wait}s, doubling per failure up to {Max}s (logged once until it has been quiet)")]
    public static partial void UserThrottled(ILogger logger, string user, int failures, double wait, double max);

}
