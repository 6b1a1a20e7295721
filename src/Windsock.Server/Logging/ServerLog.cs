using System.Net;
using Microsoft.Extensions.Logging;

namespace Windsock.Server.Logging;

/// <summary>Diagnostic messages of the server (not the request log), source-generated so that disabled levels cost nothing.</summary>
internal static partial class ServerLog
{
    // Debug: the request log on standard output has the "listening on" line scripts wait for; once is enough at the default level.
    [LoggerMessage(1, LogLevel.Debug, "Listening on {EndPoint}")]
    public static partial void Listening(ILogger logger, IPEndPoint endPoint);

    [LoggerMessage(2, LogLevel.Warning, "Authentication failed for user '{User}' from {Client} (session {Session}): {Backend}: {Detail}")]
    public static partial void AuthenticationFailed(ILogger logger, string user, IPEndPoint client, long session, string backend, string detail);

    [LoggerMessage(3, LogLevel.Error, "Accepting on {EndPoint} failed: {Error}; retrying")]
    public static partial void AcceptFailed(ILogger logger, IPEndPoint endPoint, string error);

    [LoggerMessage(4, LogLevel.Error, "Session {Session} failed unexpectedly")]
    public static partial void SessionCrashed(ILogger logger, long session, Exception exception);

    [LoggerMessage(5, LogLevel.Information, "Shutting down: no new connections; waiting up to {Grace} for {Count} sessions")]
    public static partial void Draining(ILogger logger, TimeSpan grace, int count);

    [LoggerMessage(6, LogLevel.Warning, "Drain time over: closing {Count} sessions")]
    public static partial void DrainTimeout(ILogger logger, int count);

    [LoggerMessage(7, LogLevel.Debug, "Session {Session}: {Detail}")]
    public static partial void SessionDetail(ILogger logger, long session, string detail);

    [LoggerMessage(20, LogLevel.Warning, "Session {Session}: BIND peer {Peer} refused on {Announced}: the request named {Expected}; still waiting for it")]
    public static partial void BindPeerRefused(ILogger logger, long session, IPEndPoint peer, IPEndPoint announced, string expected);
}
