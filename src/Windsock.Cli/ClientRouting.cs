using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Security;
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

    /// <summary>Where the password for a --proxy URL without one comes from, instead of the URL (which ps shows).</summary>
    public const string PasswordVariable = "WINDSOCK_PROXY_PASSWORD";

    /// <summary>The user name for a --proxy URL without user info, when a password comes from a file or the environment.</summary>
    public const string UserVariable = "WINDSOCK_PROXY_USER";

    public static Option<FileInfo?> PasswordFileOption() => new("--password-file")
    {
        Description = $"Read the password for --proxy URLs written socks5h://USER@HOST:PORT (no password) from this file's first line; "
            + $"else from ${PasswordVariable}. The user may come from ${UserVariable} when the URL has none. "
            + $"Routing-file and ALL_PROXY URLs take ?password-file=PATH, or ${PasswordVariable}, instead.",
    };

    public static Option<bool> VerboseOption() => new("--verbose", "-v")
    {
        Description = "Print the route and each hop's negotiation on standard error.",
    };

    /// <summary>--gssapi, --gssapi-service and --gssapi-protection, for the --proxy hops.</summary>
    public sealed class GssapiOptions
    {
        private readonly Option<bool> _gssapi = new("--gssapi")
        {
            Description = "Authenticate to every --proxy hop with GSSAPI (Kerberos, RFC 1961), credentials from the ticket cache (kinit). "
                + "In a routing file, write ?gssapi after the proxy URL instead.",
        };

        private readonly Option<string> _service = new("--gssapi-service")
        {
            Description = "Service name of the proxies' principal, SERVICE/proxy-host.",
            DefaultValueFactory = _ => "rcmd",
        };

        private readonly Option<string> _protection = new("--gssapi-protection")
        {
            Description = "Protection the connection must get: clear (authentication only), integrity or confidentiality.",
            DefaultValueFactory = _ => "confidentiality",
        };

        public GssapiOptions()
        {
            _protection.AcceptOnlyFromAmong("clear", "integrity", "confidentiality");
        }

        public void AddTo(Command command)
        {
            command.Options.Add(_gssapi);
            command.Options.Add(_service);
            command.Options.Add(_protection);
        }

        /// <summary>The options asked for, or null without --gssapi.</summary>
        public SocksGssapiOptions? Read(ParseResult result)
        {
            if (!result.GetValue(_gssapi))
            {
                return null;
            }

            return new SocksGssapiOptions
            {
                ServiceName = result.GetValue(_service) ?? "rcmd",
                Protection = result.GetValue(_protection) switch
                {
                    "clear" => ProtectionLevel.None,
                    "integrity" => ProtectionLevel.Sign,
                    _ => ProtectionLevel.EncryptAndSign,
                },
            };
        }
    }

    /// <summary>The router for this run, or null after printing why there is none.</summary>
    public static Router? Build(string command, string[]? proxies, bool verbose, TextWriter error, SocksGssapiOptions? gssapi = null, FileInfo? passwordFile = null)
    {
        string? password;
        try
        {
            password = passwordFile is null ? Environment.GetEnvironmentVariable(PasswordVariable) : ReadPasswordFile(passwordFile.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"windsock {command}: --password-file {passwordFile!.FullName}: {e.Message}");
            return null;
        }

        if (passwordFile is not null && proxies is not { Length: > 0 })
        {
            error.WriteLine($"windsock {command}: --password-file applies to --proxy hops; in a routing file or ALL_PROXY write the proxy as socks5h://USER@HOST:PORT?password-file=PATH (or set {PasswordVariable})");
            return null;
        }

        if (gssapi is not null && proxies is not { Length: > 0 })
        {
            error.WriteLine($"windsock {command}: --gssapi applies to --proxy hops; in a routing file or ALL_PROXY write the proxy as socks5h://HOST:PORT?gssapi");
            return null;
        }

        Router router;
        try
        {
            router = proxies is { Length: > 0 }
                ? Router.Through(new ProxyChain(proxies.Select(p => WithGssapi(WithPassword(ParseProxy(p, password is not null, out string? user), user, password), gssapi))), "--proxy")
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
            router.Options = new SocksClientOptions { Logger = new LineLogger(error, $"windsock {command}: ") };
            error.WriteLine($"windsock {command}: routes from {router.Source}");
        }

        return router;
    }

    private static ProxyHop WithGssapi(ProxyHop hop, SocksGssapiOptions? gssapi)
    {
        if (gssapi is null)
        {
            return hop;
        }

        if (hop.Protocol != SocksProtocol.Socks5)
        {
            throw new FormatException($"{hop}: --gssapi needs SOCKS5 proxies (socks5h:// or socks5://)");
        }

        return new ProxyHop(hop.Host, hop.Port, hop.Protocol)
        {
            Credentials = hop.Credentials,
            Resolution = hop.Resolution,
            Gssapi = gssapi,
        };
    }

    /// <summary>The first line of the password file, without its line end.</summary>
    private static string ReadPasswordFile(string path)
    {
        using var reader = new StreamReader(path);
        return reader.ReadLine() ?? string.Empty;
    }

    /// <summary>A hop whose URL named no password gets the one from the file or the environment (and the user from the environment when the URL has none).</summary>
    private static ProxyHop WithPassword(ProxyHop hop, string? urlUser, string? password)
    {
        if (password is null || hop.Credentials is not null)
        {
            return hop;
        }

        string? user = urlUser ?? Environment.GetEnvironmentVariable(UserVariable);
        if (string.IsNullOrEmpty(user))
        {
            return hop; // no user anywhere: the proxy is asked without credentials
        }

        return new ProxyHop(hop.Host, hop.Port, hop.Protocol)
        {
            Credentials = new SocksCredentials(user, password),
            Resolution = hop.Resolution,
            Gssapi = hop.Gssapi,
            UserId = hop.Protocol == SocksProtocol.Socks5 ? null : user,
        };
    }

    private static ProxyHop ParseProxy(string url, bool passwordElsewhere, out string? userOnly)
    {
        userOnly = null;
        if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || !url.Contains("://", StringComparison.Ordinal))
        {
            throw new FormatException($"\"{url}\" is not a proxy URL; write socks5h://HOST:PORT");
        }

        if (passwordElsewhere && uri.UserInfo.Length > 0 && !uri.UserInfo.Contains(':', StringComparison.Ordinal))
        {
            // USER@HOST: the password comes from --password-file or the environment; parse the rest as it is.
            userOnly = Uri.UnescapeDataString(uri.UserInfo);
            uri = new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty }.Uri;
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
            SocksErrorKind.CommandFailed => string.Create(CultureInfo.InvariantCulture, $"{proxy} refused: {e.ReplyMeaning} (reply {e.ReplyCode}){(string.IsNullOrEmpty(e.Reason) ? "" : $": {e.Reason}")}"),
            SocksErrorKind.ProxyUnreachable => $"cannot reach {proxy}: {e.InnerException?.Message ?? "no address"}",
            SocksErrorKind.AuthenticationFailed => string.Create(CultureInfo.InvariantCulture, $"{proxy} rejected user '{hop.Credentials?.UserName}' (status {e.ReplyCode})"),
            SocksErrorKind.NoAcceptableAuthMethod => hop.Credentials is null && hop.Gssapi is null
                ? $"{proxy} requires authentication; give user:password@ in the proxy URL, or --gssapi"
                : $"{proxy} accepted no authentication method we offered{(hop.Gssapi is null ? "" : " (GSSAPI among them)")}",
            _ => e.Message.TrimEnd('.'),
        };
    }
}
