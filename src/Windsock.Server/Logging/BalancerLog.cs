using System.Net;
using Microsoft.Extensions.Logging;

namespace Windsock.Server.Logging;

/// <summary>
/// Diagnostics of the PROXY protocol step: a balancer that breaks the protocol, and a PROXY header from
/// someone who is no balancer (a forgotten balancer address, or a client trying to choose its own address).
/// Warnings: either means clients are being refused.
/// </summary>
internal static partial class BalancerLog
{
    [LoggerMessage(120, LogLevel.Warning, "Session {Session}: balancer {Balancer} (server.proxy_protocol_from) refused: {Detail}")]
    public static partial void Refused(ILogger logger, long session, IPEndPoint balancer, string detail);

    [LoggerMessage(121, LogLevel.Warning, "Session {Session}: PROXY protocol header from {Client}, which is not in server.proxy_protocol_from: refused "
        + "(a balancer missing from the list, or a client trying to choose the address it is logged and judged by)")]
    public static partial void StrayHeader(ILogger logger, long session, IPEndPoint client);
}
