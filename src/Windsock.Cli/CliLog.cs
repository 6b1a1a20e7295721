using Microsoft.Extensions.Logging;

namespace Windsock.Cli;

internal static partial class CliLog
{
    [LoggerMessage(100, LogLevel.Warning, "RUNNING AS AN OPEN PROXY (allow_open_proxy = true): clients from {Clients} may relay anywhere without a password")]
    public static partial void OpenProxy(ILogger logger, string clients);

    [LoggerMessage(101, LogLevel.Information, "Configuration reloaded ({Trigger}): {Rules} rules; new sessions use it, running sessions keep theirs")]
    public static partial void Reloaded(ILogger logger, string trigger, int rules);

    [LoggerMessage(102, LogLevel.Error, "Reload failed ({Trigger}); the running configuration stays: {Error}")]
    public static partial void ReloadFailed(ILogger logger, string trigger, string error);

    [LoggerMessage(103, LogLevel.Warning, "Listen addresses changed from {Running} to {Configured}: restart to apply; keeping {Running}")]
    public static partial void ListenNeedsRestart(ILogger logger, string running, string configured);

    [LoggerMessage(104, LogLevel.Warning, "PAM service '{Service}' has no file in /etc/pam.d (nor /usr/lib/pam.d): PAM uses the 'other' service for it; create /etc/pam.d/{Service} (docs/pam.md)")]
    public static partial void PamServiceFallsBack(ILogger logger, string service);

    [LoggerMessage(105, LogLevel.Warning, "{Warning}")]
    public static partial void UsersFileExposed(ILogger logger, string warning);

    [LoggerMessage(140, LogLevel.Information, "Listeners bound; now running as {Account} ([server] user)")]
    public static partial void SwitchedAccount(ILogger logger, string account);

    [LoggerMessage(141, LogLevel.Warning, "The account to run as changed from {Running} to {Configured}: restart to apply; keeping {Running}")]
    public static partial void AccountNeedsRestart(ILogger logger, string running, string configured);

    [LoggerMessage(106, LogLevel.Critical, "windsock: error: {Problem}")]
    public static partial void StartupFailed(ILogger logger, string problem);
}
