using System.Net;
using Windsock.Server.Authentication;
using Windsock.Server.Authentication.Pam;
using Windsock.Server.Configuration;

namespace Windsock.Cli;

/// <summary>
/// Combines the configuration file (or the embedded default) with the command-line flags, which win,
/// then applies the checks that need the combined result (the open-proxy guard, the user file).
/// </summary>
internal static class ServeOptionsBuilder
{
    public static ServerOptions Build(string? configPath, string[]? listen, string? usersFile, string? logFormat)
    {
        ServerOptions options;
        try
        {
            options = configPath is null ? ServerOptions.Default : ConfigLoader.Load(configPath);
        }
        catch (ConfigException e)
        {
            throw new StartupException(e.ToString(), e);
        }

        var origins = new Dictionary<string, string>(options.Origins);
        if (listen is { Length: > 0 })
        {
            var endPoints = new List<IPEndPoint>();
            foreach (var text in listen)
            {
                if (InterfaceListen.TryExpand(text, out var onInterface, out var interfaceProblem))
                {
                    endPoints.AddRange(interfaceProblem is { } bad ? throw new StartupException($"--listen: {bad.Message}. fix: {bad.Fix}") : onInterface!);
                    continue;
                }

                if (!EndpointSyntax.TryParse(text, out var endPoint, out var problem))
                {
                    throw new StartupException($"--listen: {problem.Message}. fix: {problem.Fix}");
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
            origins["server.log_format"] = "--log-format";
        }

        options = options with { Origins = origins };
        if (options.AllowOpenProxy && !origins.ContainsKey("server.allowed_clients"))
        {
            // Consent to an open proxy with no client list means what it says: every client.
            options = options with { AllowedClients = [IPNetwork.Parse("0.0.0.0/0"), IPNetwork.Parse("::/0")] };
        }

        if (OpenProxyGuard.Check(options) is { } refusal)
        {
            throw new StartupException(refusal.ToString(), refusal);
        }

        if (KeytabCheck.Check(options) is { } unreadable)
        {
            throw new StartupException(unreadable.ToString(), unreadable);
        }

        return options;
    }

    /// <summary>Loads the groups file when one is configured (user → groups, for rules that name groups).</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> LoadGroups(ServerOptions options)
    {
        if (options.GroupsFile is not { } path)
        {
            return new Dictionary<string, IReadOnlyList<string>>();
        }

        try
        {
            return GroupFile.Load(path).ByUser;
        }
        catch (ConfigException e)
        {
            throw new StartupException(e.ToString(), e);
        }
    }

    /// <summary>
    /// Builds the username/password back end: the users file, PAM, or both (a user in the file is
    /// decided by the file, anyone else by PAM); null when neither is configured. Errors name the
    /// file and line, and where the setting came from.
    /// </summary>
    public static ICredentialVerifier? LoadCredentials(ServerOptions options, TimeProvider time)
    {
        ICredentialVerifier? pam = options.PamService is { } service ? LoadPam(options, service, time) : null;
        if (options.UsersFile is not { } path)
        {
            return pam;
        }

        UserStore store;
        try
        {
            store = UserFile.Load(path);
        }
        catch (ConfigException e)
        {
            var origin = options.Origins.TryGetValue("auth.users_file", out var where) ? $" (users file set by {where})" : string.Empty;
            throw new StartupException(e + origin, e);
        }

        // The cache is for the file only: PAM answers are never remembered (VerifiedCredentialCache says why).
        var file = new VerifiedCredentialCache(store, time);
        return pam is null ? file : new UserFileThenPamVerifier(store, file, pam);
    }

    private static PamCredentialVerifier LoadPam(ServerOptions options, string service, TimeProvider time)
    {
        if (!PamCredentialVerifier.IsLibraryAvailable())
        {
            const string Message = "auth.pam_service is set, but libpam.so.0 cannot be loaded";
            const string Fix = "install the PAM library (Debian: apt install libpam0g), or remove pam_service";
            // The origin is already "file:line:col", which is where the error is printed.
            var error = new ConfigException(options.Origins.TryGetValue("auth.pam_service", out var origin) ? origin : "auth.pam_service", Message, Fix);
            throw new StartupException(error.ToString(), error);
        }

        return new PamCredentialVerifier(service, time);
    }
}
