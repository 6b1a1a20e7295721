using Microsoft.Extensions.Logging;

namespace Windsock.Cli;

internal static partial class CliLog
{
    [LoggerMessage(100, LogLevel.Warning, "RUNNING AS AN OPEN PROXY (allow_open_proxy = true): clients from {Clients} may relay anywhere without a password")]
    public static partial void OpenProxy(ILogger logger, string clients);
}
