using System.Net;
using Microsoft.Extensions.Logging;

namespace Windsock.Server.Gssapi;

/// <summary>Diagnostics of GSSAPI sessions: refusals and failures with the reason the request log's end line also carries.</summary>
internal static partial class GssapiLog
{
    [LoggerMessage(60, LogLevel.Warning, "GSSAPI authentication failed from {Client} (session {Session}): {Reason}")]
    public static partial void AuthenticationFailed(ILogger logger, IPEndPoint client, long session, string reason);

    [LoggerMessage(61, LogLevel.Warning, "GSSAPI session {Session} of {User} ended: {Reason}")]
    public static partial void ProtectionFailed(ILogger logger, long session, string user, string reason);

    [LoggerMessage(62, LogLevel.Error, "GSSAPI keytab {Keytab}: {Error}")]
    public static partial void KeytabFailed(ILogger logger, string keytab, string error);
}
