using System.Net;
using Microsoft.Extensions.Logging;
using Windsock.Policy;

namespace Windsock.Server.Access;

/// <summary>Denials in the diagnostics log, at the level the deciding rule (or [access] default_log) asks for.</summary>
internal static partial class AccessLog
{
    public static void Denied(ILogger logger, RuleLogLevel level, long session, IPEndPoint client, string decidedBy, string reason) =>
        Denied(logger, level switch
        {
            RuleLogLevel.Debug => LogLevel.Debug,
            RuleLogLevel.Info => LogLevel.Information,
            RuleLogLevel.Warning => LogLevel.Warning,
            _ => LogLevel.Error,
        }, session, client, decidedBy, reason);

    [LoggerMessage(EventId = 40, Message = "Session {Session} from {Client} denied by {DecidedBy}: {Reason}")]
    private static partial void Denied(ILogger logger, LogLevel level, long session, IPEndPoint client, string decidedBy, string reason);
}
