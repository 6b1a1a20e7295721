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
    public static AdminServer? Start(ServerOptions options, ServerMetrics metrics, ILogger logger) =>
        options.Admin is { } admin ? AdminServer.Start(admin, ReadToken(options), metrics, logger) : null;

    /// <summary>The token [admin] token_file holds, or null without one. Throws StartupException naming where the key was set.</summary>
    public static string? ReadToken(ServerOptions options)
    {
        if (options.Admin?.TokenFile is not { } file)
        {
            return null;
        }

        try
        {
            return AdminTokenFile.Read(file);
        }
        catch (ConfigException e)
        {
            string origin = options.Origins.TryGetValue("admin.token_file", out string? where) ? $" (set by {where})" : string.Empty;
            throw new StartupException(e + origin, e);
        }
    }
}
