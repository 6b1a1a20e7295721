using System.Net;
using Microsoft.Extensions.Logging;

namespace Windsock.Server.Logging;

/// <summary>Diagnostic messages of the server (not the request log), source-generated so that disabled levels cost nothing.</summary>
internal static partial class ServerLog
{
    // Debug: the request log on standard output has the "listening on" line scripts wait for; once is enough at the default level.
    [LoggerMessage(1, LogLevel.Debug, "Listening on {EndPoint}")]
    public static partial void Listening(ILogger logger, IPEndPoint endPoint);

    // Debug: expected on systems without the option; the server works the same, with one more wake per connection.
    [LoggerMessage(125, LogLevel.Debug, "Listener {EndPoint}: connections are accepted before their first bytes (TCP_DEFER_ACCEPT is not available here)")]
    public static partial void AcceptNotDeferred(ILogger logger, IPEndPoint endPoint);

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

    [LoggerMessage(120, LogLevel.Warning, "Out of file descriptors on {EndPoint} (limit {Limit}, {Headroom} kept for the server itself): accepting paused, retrying with backoff up to {MaxWait}s; new connections wait in the listen queue (logged once until accepting works again)")]
    public static partial void DescriptorsExhausted(ILogger logger, IPEndPoint endPoint, string limit, ulong headroom, double maxWait);

    [LoggerMessage(121, LogLevel.Information, "File descriptors available again on {EndPoint}: accepting resumed after {Seconds:0.0}s; {Closed} queued connections were closed meanwhile")]
    public static partial void DescriptorsRecovered(ILogger logger, IPEndPoint endPoint, double seconds, long closed);

    [LoggerMessage(122, LogLevel.Warning, "Request log lines are being lost: {Reason}; sessions go on, the count is kept (logged once until writing works again)")]
    public static partial void RequestLogLosing(ILogger logger, string reason);

    [LoggerMessage(123, LogLevel.Information, "Request log writing again: {Lost} lines were lost ({Total} since start); a line in the request log marks the gap")]
    public static partial void RequestLogRecovered(ILogger logger, long lost, long total);

    [LoggerMessage(124, LogLevel.Warning, "Stopping with the request log's writer stuck for {Seconds:0}s (its reader is not reading): {Queued} queued lines were not written ({Total} lost since start)")]
    public static partial void RequestLogAbandoned(ILogger logger, double seconds, int queued, long total);
}
