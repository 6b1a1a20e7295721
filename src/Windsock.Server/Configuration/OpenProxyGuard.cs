using System.Net;

namespace Windsock.Server.Configuration;

/// <summary>
/// Refuses the one configuration that turns Windsock into an open proxy by accident: listening
/// beyond loopback, admitting clients beyond loopback, and asking nobody for a password. Any one
/// of the three being closed makes the server safe (a non-loopback listener that admits only
/// loopback clients is pointless but harmless), and <c>allow_open_proxy = true</c> records that
/// the administrator wants the open proxy on purpose.
/// </summary>
/// <remarks>
/// Runs on the final options, after flags have been merged over the file, so <c>--listen</c>
/// cannot open what the file kept closed. The serve command calls it before binding anything.
/// </remarks>
public static class OpenProxyGuard
{
    /// <returns>Null when the server may start; otherwise the error to print before exiting.</returns>
    public static ConfigException? Check(ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.AllowOpenProxy || options.UsersFile is not null)
        {
            return null;
        }

        IPEndPoint? exposedListener = options.Listen.FirstOrDefault(endpoint => !LoopbackAddresses.IsLoopback(endpoint.Address));
        if (exposedListener is null)
        {
            return null;
        }

        IPNetwork? openClients = options.AllowedClients.Cast<IPNetwork?>().FirstOrDefault(network => !LoopbackAddresses.IsLoopback(network!.Value));
        if (openClients is null)
        {
            return null;
        }

        string listenOrigin = OriginOf(options, "server.listen");
        string clientsOrigin = OriginOf(options, "server.allowed_clients");
        string message =
            $"refusing to run an open proxy: server.listen (set at {listenOrigin}) includes {Describe(exposedListener)}, " +
            $"server.allowed_clients (set at {clientsOrigin}) admits {openClients.Value} beyond loopback, and no users file is set, " +
            "so anyone who can reach this port could relay traffic through this host into your networks and out to the internet under its address";
        const string fix =
            "require passwords with auth.users_file (or --users FILE); " +
            "or narrow server.allowed_clients to the networks that should use the proxy; " +
            "or, if an open proxy is really intended, set server.allow_open_proxy = true";

        return ConfigOrigin.TryParse(listenOrigin, out string file, out int line, out int column)
            ? new ConfigException(file, line, column, message, fix)
            : new ConfigException(listenOrigin, message, fix);
    }

    private static string OriginOf(ServerOptions options, string key) =>
        options.Origins.TryGetValue(key, out string? origin) ? origin : "the built-in defaults";

    private static string Describe(IPEndPoint endpoint) =>
        endpoint.Address.Equals(IPAddress.Any) || endpoint.Address.Equals(IPAddress.IPv6Any)
            ? $"{endpoint} (every interface)"
            : $"{endpoint} (not loopback)";
}
