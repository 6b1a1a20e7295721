using Microsoft.Extensions.Logging;
using Windsock.Server.Admin;
using Windsock.Server.Configuration;
using Windsock.Server.Metrics;

namespace Windsock.Cli;

/// <summary>`windsock serve`'s admin listener: none unless [admin] listen is set; its token read from the token file.</summary>
internal static class AdminListener
{
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
