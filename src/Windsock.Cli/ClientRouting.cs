using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Windsock.Client;
using Windsock.Client.Routing;

namespace Windsock.Cli;

/// <summary>
/// What `windsock connect` and `windsock forward` share: the --proxy and --verbose options, the
/// router they build (the --proxy chain, else the routing file or ALL_PROXY), and one-line messages
/// for every failure.
/// </summary>
internal static class ClientRouting
{
    public static Option<string[]> ProxyOption() => new("--proxy", "-x")
    {
        Description = "Proxy URL (socks5h://, socks5://, socks4a://, socks4://, with optional user:password@). "
            + "Repeat for a chain, first hop first. Overrides the routing file and ALL_PROXY.",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<bool> VerboseOption() => new("--verbose", "-v")
    {
        Description = "Print the route and each hop's negotiation on standard error.",
    };

    /// <summary>The router for this run, or null after printing why there is none.</summary>
    public static Router? Build(string command, string[]? proxies, bool verbose, TextWriter error)
    {
        Router router;
        try
        {
            router = proxies is { Length: > 0 }
                ? Router.Through(new ProxyChain(proxies.Select(ParseProxy)))
                : Router.FromEnvironment();
        }
        catch (RoutingFileException e)
        {
            error.WriteLine($"windsock {command}: {e.Message}");
            return null;
        }
        catch (FormatException e)
        {
            error.WriteLine($"windsock {command}: --proxy {e.Message}");
            return null;
        }

        if (verbose)
        {
            router.Log = line => error.WriteLine($"windsock {command}: {line}");
            error.WriteLine($"windsock {command}: routes from {router.Source}");
        }

        return router;
    }

    private static ProxyHop ParseProxy(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || !url.Contains("://", StringComparison.Ordinal))
        {
            throw new FormatException($"\"{url}\" is not a proxy URL; write socks5h://HOST:PORT");
        }

        try
        {
            return ProxyHop.FromUri(uri);
        }
        catch (ArgumentException e)
        {
            throw new FormatException(e.Message.Split(" (Parameter", 2)[0], e);
        }
    }

    /// <summary>"HOST:PORT", "[v6]:PORT" or "v6-literal:PORT" (the last colon separates the port).</summary>
    public static bool TryParseHostPort(string text, out string host, out int port)
    {
        host = "";
        port = 0;
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > IPEndPoint.MaxPort)
        {
            return false;
        }

        host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        return host.Length > 0;
    }

    /// <summary>"host:port", IPv6 in brackets.</summary>
    public static string Destination(string host, int port) => host.Contains(':', StringComparison.Ordinal)
        ? string.Create(CultureInfo.InvariantCulture, $"[{host}]:{port}")
        : string.Create(CultureInfo.InvariantCulture, $"{host}:{port}");

    /// <summary>One line a person can act on, without a stack trace.</summary>
    public static string Describe(Exception e) => e switch
    {
        SocksException { Hop: { } hop } s => DescribeSocks(s, hop),
        RouteDeniedException denied => denied.Message.TrimEnd('.'),
        SocketException socket => socket.Message,
        AggregateException { InnerExceptions: [var only] } => Describe(only),
        _ => e.Message.TrimEnd('.'),
    };

    private static string DescribeSocks(SocksException e, ProxyHop hop)
    {
        string where = hop.Host.Contains(':', StringComparison.Ordinal)
            ? string.Create(CultureInfo.InvariantCulture, $"[{hop.Host}]:{hop.Port}")
            : string.Create(CultureInfo.InvariantCulture, $"{hop.Host}:{hop.Port}");
        string proxy = e.HopIndex > 0 ? string.Create(CultureInfo.InvariantCulture, $"proxy {where} (hop {e.HopIndex + 1})") : $"proxy {where}";
        return e.Kind switch
        {
            SocksErrorKind.CommandFailed => string.Create(CultureInfo.InvariantCulture, $"{proxy} refused: {e.ReplyMeaning} (reply {e.ReplyCode})"),
            SocksErrorKind.ProxyUnreachable => $"cannot reach {proxy}: {e.InnerException?.Message ?? "no address"}",
            SocksErrorKind.AuthenticationFailed => string.Create(CultureInfo.InvariantCulture, $"{proxy} rejected user '{hop.Credentials?.UserName}' (status {e.ReplyCode})"),
            SocksErrorKind.NoAcceptableAuthMethod => hop.Credentials is null
                ? $"{proxy} requires authentication; give user:password@ in the proxy URL"
                : $"{proxy} accepted no authentication method we offered",
            _ => e.Message.TrimEnd('.'),
        };
    }
}
