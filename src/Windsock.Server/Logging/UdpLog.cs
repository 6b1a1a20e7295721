using System.Net;
using Microsoft.Extensions.Logging;

namespace Windsock.Server.Logging;

/// <summary>Diagnostics of UDP associations. Event ids from 100 keep clear of <see cref="ServerLog"/>'s.</summary>
internal static partial class UdpLog
{
    [LoggerMessage(100, LogLevel.Debug, "Session {Session}: UDP datagram from {Source} dropped ({Reason}): {Detail}")]
    public static partial void DatagramDropped(ILogger logger, long session, IPEndPoint source, string reason, string detail);

    [LoggerMessage(101, LogLevel.Debug, "Session {Session}: UDP relay socket error {Error}; relay continues")]
    public static partial void RelayError(ILogger logger, long session, string error);
}
