using Microsoft.Extensions.Logging;

namespace Windsock.Server.Admin;

/// <summary>The admin listener in the diagnostic log.</summary>
internal static partial class AdminLog
{
    [LoggerMessage(140, LogLevel.Information, "Admin listener on {Address}: /metrics, /api/sessions, /api/status and the status page at /")]
    public static partial void Listening(ILogger logger, string address);

    [LoggerMessage(141, LogLevel.Warning, "Session {Session} ended by an administrator's request from {Peer}")]
    public static partial void SessionEnded(ILogger logger, long session, string peer);

    [LoggerMessage(142, LogLevel.Warning, "Admin request from {Peer} refused: {Reason}")]
    public static partial void Refused(ILogger logger, string peer, string reason);

    [LoggerMessage(143, LogLevel.Error, "Admin request from {Peer} failed")]
    public static partial void Failed(ILogger logger, string peer, Exception exception);
}
