using System.Net;

namespace Windsock.Server.Configuration;

/// <summary>
/// Refuses the configurations that turn Windsock into an open proxy by accident. A server that listens
/// beyond loopback and asks nobody for a password must have been told explicitly which clients it
/// serves (<c>server.allowed_clients</c>), and those may not be "everyone" (a network wider than /8
/// for IPv4 or /16 for IPv6) unless <c>allow_open_proxy = true</c> records that the administrator
/// wants exactly that. Without an explicit list the defaults would admit only loopback clients, so
/// a listener on 0.0.0.0 would silently turn every other client away: also refused, with the fix.
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
        // GSSAPI authenticates as surely as a password does.
        if (options.AllowOpenProxy || options.RequiresAuthentication)
        {
            return null;
        }

        IPEndPoint? exposedListener = options.Listen.FirstOrDefault(endpoint => !LoopbackAddresses.IsLoopback(endpoint.Address));
        if (exposedListener is null)
        {
            return null;
        }

        string listenOrigin = OriginOf(options, "server.listen");
        string message;
        string fix;
        if (!options.Origins.ContainsKey("server.allowed_clients"))
        {
            message =
                $"server.listen (set at {listenOrigin}) includes {Describe(exposedListener)}, but no users file is set and " +
                "server.allowed_clients is not configured, so the server would serve loopback clients only and turn everyone else away";
            fix =
                "say who may use the proxy: set server.allowed_clients to the client networks (e.g. [\"10.0.0.0/8\"]); " +
                "or require passwords with auth.users_file (or --users FILE); " +
                "or, if an open proxy is really intended, set server.allow_open_proxy = true";
        }
        else if (options.AllowedClients.Cast<IPNetwork?>().FirstOrDefault(network => IsEveryone(network!.Value)) is { } everyone)
        {
            string clientsOrigin = OriginOf(options, "server.allowed_clients");
            message =
                $"refusing to run an open proxy: server.listen (set at {listenOrigin}) includes {Describe(exposedListener)}, " +
                $"server.allowed_clients (set at {clientsOrigin}) admits {everyone}, and no users file is set, " +
                "so anyone who can reach this port could relay traffic through this host into your networks and out to the internet under its address";
            fix =
                "require passwords with auth.users_file (or --users FILE); " +
                "or narrow server.allowed_clients to the networks that should use the proxy; " +
                "or, if an open proxy is really intended, set server.allow_open_proxy = true";
        }
        else
        {
            return null;
        }

        return ConfigOrigin.TryParse(listenOrigin, out string file, out int line, out int column)
            ? new ConfigException(file, line, column, message, fix)
            : new ConfigException(listenOrigin, message, fix);
    }

    /// <summary>
    /// A client network so wide it stands for "anyone": wider than /8 for IPv4 (10.0.0.0/8 is the
    /// largest private block) or /16 for IPv6, loopback aside. IPv4-mapped IPv6 networks count as IPv4.
    /// </summary>
    public static bool IsEveryone(IPNetwork network)
    {
        if (LoopbackAddresses.IsLoopback(network))
        {
            return false;
        }

        var address = network.BaseAddress;
        if (address.IsIPv4MappedToIPv6 && network.PrefixLength >= 96)
        {
            return network.PrefixLength - 96 < 8;
        }

        return address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? network.PrefixLength < 8 : network.PrefixLength < 16;
    }

    private static string OriginOf(ServerOptions options, string key) =>
        options.Origins.TryGetValue(key, out string? origin) ? origin : "the built-in defaults";

    private static string Describe(IPEndPoint endpoint) =>
        endpoint.Address.Equals(IPAddress.Any) || endpoint.Address.Equals(IPAddress.IPv6Any)
            ? $"{endpoint} (every interface)"
            : $"{endpoint} (not loopback)";
}
