using Microsoft.Extensions.Logging;
using Windsock.Server.Admin;
using Windsock.Server.Configuration;
using Windsock.Server.Metrics;

namespace Windsock.Cli;

/// <summary>`windsock serve`'s admin listener: none unless [admin] listen is set; its token read from the token file.</summary>
internal static class AdminListener
{
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
