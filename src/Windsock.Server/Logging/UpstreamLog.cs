using Microsoft.Extensions.Logging;

namespace Windsock.Server.Logging;

/// <summary>
/// An upstream route's chains going down and coming back, in the diagnostic log: one line per change of health,
/// not per request (the request log says per request which route and chain it took, and why it failed).
/// </summary>
internal static partial class UpstreamLog
{
    [LoggerMessage(160, LogLevel.Warning, "Route {Route} chain {Chain} ({Hops}) is skipped for {RetrySeconds}s after {Failures} failures in a row; last: {Reason}")]
    public static partial void ChainDown(ILogger logger, string route, int chain, string hops, double retrySeconds, int failures, string reason);

    [LoggerMessage(161, LogLevel.Information, "Route {Route} chain {Chain} ({Hops}) works again")]
    public static partial void ChainBack(ILogger logger, string route, int chain, string hops);

    [LoggerMessage(162, LogLevel.Debug, "Route {Route} chain {Chain} ({Hops}) failed, trying the next: {Reason}")]
    public static partial void FailingOver(ILogger logger, string route, int chain, string hops, string reason);
}
