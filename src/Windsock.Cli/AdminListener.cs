using Microsoft.Extensions.Logging;
using Windsock.Server.Admin;
using Windsock.Server.Configuration;
using Windsock.Server.Metrics;

namespace Windsock.Cli;

/// <summary>`windsock serve`'s admin listener: none unless [admin] listen is set; its token read from the token file.</summary>
internal static partial class AdminListener
{
    [LoggerMessage(144, LogLevel.Warning, "The [admin] section changed from {Running} to {Configured}: restart to apply; the admin listener keeps {Running}")]
    public static partial void NeedsRestart(ILogger logger, string running, string configured);

    /// <summary>A reload does not rebind the admin listener (nor re-read its token): say so when the section changed.</summary>
    public static void WarnIfChanged(ILogger logger, AdminOptions? running, AdminOptions? configured)
    {
        if (running != configured)
        {
            NeedsRestart(logger, Describe(running), Describe(configured));
        }
    }

    private static string Describe(AdminOptions? admin) => admin is null ? "off" : admin.Describe() + (admin.TokenFile is { } token ? $" with token {token}" : "");

    /// <summary>What `windsock check` says of the [admin] section.</summary>
    public static string Explain(AdminOptions? admin) => admin switch
    {
        null => "admin listener: off (no [admin] listen; metrics and windsock status need one)",
        { TokenFile: { } token } => $"admin listener: {admin.Describe()} serves /metrics, /api/sessions, /api/status and the status page; every request needs the token in {token}",
        { SocketPath: not null } => $"admin listener: {admin.Describe()} serves /metrics, /api/sessions, /api/status and the status page to whoever may open the socket (mode 0600: its owner and root)",
        _ => $"admin listener: {admin.Describe()} serves /metrics, /api/sessions, /api/status and the status page to local clients without a token (anyone on this host can list and end sessions)",
    };

    /// <summary>Starts the listener the configuration asks for, or returns null. Throws StartupException or ListenException.</summary>
    public static AdminServer? Start(ServerOptions options, ServerMetrics metrics, ILogger logger)
    {
        if (options.Admin is not { } admin)
        {
            return null;
        }

        string? token = null;
        if (admin.TokenFile is { } file)
        {
            try
            {
                token = AdminTokenFile.Read(file);
            }
            catch (ConfigException e)
            {
                string origin = options.Origins.TryGetValue("admin.token_file", out string? where) ? $" (set by {where})" : string.Empty;
                throw new StartupException(e + origin, e);
            }
        }

        return AdminServer.Start(admin, token, metrics, logger);
    }
}
