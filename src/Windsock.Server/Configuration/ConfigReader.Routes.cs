using System.Globalization;
using System.Net;
using Tomlyn.Syntax;
using Windsock.Client;
using Windsock.Policy;

namespace Windsock.Server.Configuration;

/// <summary>
/// Upstream routes: <c>[[route]]</c> tables, and a rule's <c>via</c> and <c>source</c> (docs/upstream-routes.md).
/// Hops are the proxy URLs the client tools take (ProxyHop.FromUri parses them), with the user in the URL and the
/// password only ever in a file: a configuration file is read by more people and tools than a secret should be.
/// </summary>
internal sealed partial class ConfigReader
{
    private const string RouteTableFix = "write each route as a [[route]] table (double brackets) with name and chain (or chains) below it (docs/upstream-routes.md)";

    private const string HopExample = "\"socks5h://127.0.0.1:1081\" or { url = \"socks5h://alice@127.0.0.1:1081\", password_file = \"/etc/windsock/upstream.password\" }";

    /// <summary>Longest password RFC 1929 can carry.</summary>
    private const int MaxPasswordBytes = 255;

    private readonly List<UpstreamRouteOptions> _routes = [];
    private readonly Dictionary<string, SyntaxNode> _routeNames = new(StringComparer.Ordinal);

    /// <summary>Each rule's via, to check against the routes once all are read.</summary>
    private readonly List<(string Name, SyntaxNode At, int Rule)> _viaUses = [];

    public void CheckRouteTable(TomlTableHeader table, SyntaxNode at, string name)
    {
        if (table.Path.Count == 1 && table.IsArrayOfTables)
        {
            return;
        }

        Problem(at, table.Path.Count == 1 ? "[route] declares a single table, but routes are an array of tables" : $"unknown section [{name}]",
            table.Path.Count == 1 ? "write [[route]] with double brackets, once above each route" : "a [[route]] has no sub-tables; write each hop in its chain as a URL or { url = ..., password_file = ... }");
    }

    /// <summary>Reads one [[route]] table; problems are recorded, not thrown.</summary>
    public void ReadRoute(TableArraySyntax table)
    {
        int number = _routes.Count + 1;
        SyntaxNode header = (SyntaxNode?)table.Name ?? table;
        var location = new SourceLocation(FileName, Line(header), 1);
        (var values, bool ok) = TableValues(table, (_, path) =>
            ConfigSchema.RouteKeys.Contains(path[0]) && path.Count == 1 ? null
            : ($"unknown key \"{string.Join('.', path)}\" in [[route]] (route {number})",
                $"{(Suggestions.Closest(path[0], ConfigSchema.RouteKeys) is { } close ? $"did you mean \"{close}\"? " : "")}the keys of a [[route]] are {string.Join(", ", ConfigSchema.RouteKeys)}"));
        UpstreamRouteOptions? route = ok ? BuildRoute(number, location, values) : null;
        if (route is not null)
        {
            _routes.Add(route);
        }
    }

    private UpstreamRouteOptions? BuildRoute(int number, SourceLocation location, Dictionary<string, (SyntaxNode Key, ValueSyntax Value)> values)
    {
        string Key(string key) => $"{key} (route {number})";
        if (!values.TryGetValue("name", out var nameEntry))
        {
            AddProblem(new ConfigException(FileName, location.Line, location.Column, $"route {number} has no name", "add name = \"office\" below its [[route]] line: rules name it in via = \"office\""));
            return null;
        }

        string? name = ReadRouteName(Key("name"), nameEntry.Value);
        if (name is null)
        {
            return null;
        }

        if (!_routeNames.TryAdd(name, nameEntry.Value))
        {
            Problem(nameEntry.Value, $"a route named \"{name}\" is already defined at line {Line(_routeNames[name])}", "give each [[route]] its own name");
            return null;
        }

        var warnings = new List<string>();
        List<ProxyChain>? chains;
        bool hasChain = values.TryGetValue("chain", out var chainEntry);
        bool hasChains = values.TryGetValue("chains", out var chainsEntry);
        if (hasChain && hasChains)
        {
            Problem(chainsEntry.Key, $"route \"{name}\" has both chain and chains", "write one chain as chain = [HOP, ...], or several to fail over between as chains = [[HOP, ...], [HOP, ...]]");
            return null;
        }
        else if (hasChain)
        {
            chains = ReadChain($"chain (route \"{name}\")", chainEntry.Value, warnings) is { } chain ? [chain] : null;
        }
        else if (hasChains)
        {
            chains = ReadChains($"chains (route \"{name}\")", chainsEntry.Value, warnings);
        }
        else
        {
            AddProblem(new ConfigException(FileName, location.Line, location.Column, $"route \"{name}\" has no chain", $"add chain = [{HopExample}] below its [[route]] line"));
            return null;
        }

        int maxFailures = UpstreamRouteOptions.DefaultMaxFailures;
        if (values.TryGetValue("max_failures", out var failuresEntry))
        {
            long? parsed = ReadInteger(Key("max_failures"), failuresEntry.Value, 1, 1000, "failures in a row");
            if (parsed is null)
            {
                return null;
            }

            maxFailures = (int)parsed.Value;
        }

        TimeSpan retry = UpstreamRouteOptions.DefaultRetryTime;
        if (values.TryGetValue("retry_time", out var retryEntry))
        {
            TimeSpan? parsed = ReadDuration("route.retry_time", "retry_time", retryEntry.Value);
            if (parsed is null)
            {
                return null;
            }

            retry = parsed.Value;
        }

        return chains is null ? null : new UpstreamRouteOptions
        {
            Name = name,
            Location = location,
            Chains = chains,
            MaxFailures = maxFailures,
            RetryTime = retry,
            Warnings = warnings,
        };
    }

    /// <summary>A route's name: it goes into log lines and metric labels, so a short word.</summary>
    private string? ReadRouteName(string key, ValueSyntax value)
    {
        const string Fix = "write a short word of letters, digits, '.', '_' and '-', e.g. \"office\"";
        if (value is not StringValueSyntax text)
        {
            WrongType(key, value, "a name in quotes, e.g. \"office\"");
            return null;
        }

        string name = text.Value ?? "";
        if (name.Length is 0 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            Problem(value, $"{key} \"{name}\" is not a usable route name", Fix);
            return null;
        }

        return name;
    }

    private List<ProxyChain>? ReadChains(string key, ValueSyntax value, List<string> warnings)
    {
        List<ValueSyntax?> items = value is ArraySyntax array ? [.. array.Items.Select(i => i.Value)] : [];
        if (items.Count == 0 || items.Any(i => i is not ArraySyntax))
        {
            Problem(value, $"{key} must be an array of chains, each an array of hops", $"write chains = [[\"socks5h://127.0.0.1:1081\"], [\"socks5h://127.0.0.1:1082\"]], or chain = [HOP, ...] for one chain");
            return null;
        }

        return ReadEach(items, i => ReadChain(string.Create(CultureInfo.InvariantCulture, $"{key} chain {i + 1}"), items[i]!, warnings));
    }

    private ProxyChain? ReadChain(string key, ValueSyntax value, List<string> warnings)
    {
        List<ValueSyntax?> items = value is ArraySyntax array ? [.. array.Items.Select(i => i.Value)] : [];
        if (items.Count == 0 || items.Any(i => i is null))
        {
            Problem(value, $"{key} must be a non-empty array of hops, first to last", $"write [{HopExample}]");
            return null;
        }

        List<ProxyHop>? hops = ReadEach(items, i => ReadHop(string.Create(CultureInfo.InvariantCulture, $"{key} hop {i + 1}"), items[i]!, warnings));
        return hops is null ? null : new ProxyChain(hops);
    }

    /// <summary>Reads every item (each reports its own problems); null when any failed.</summary>
    private static List<T>? ReadEach<T>(List<ValueSyntax?> items, Func<int, T?> read)
        where T : class
    {
        var results = new List<T>(items.Count);
        bool ok = true;
        for (int i = 0; i < items.Count; i++)
        {
            if (read(i) is { } result)
            {
                results.Add(result);
            }
            else
            {
                ok = false;
            }
        }

        return ok ? results : null;
    }

    /// <summary>A hop: a URL, or { url, password_file } for one that logs in.</summary>
    private ProxyHop? ReadHop(string key, ValueSyntax value, List<string> warnings)
    {
        StringValueSyntax? url = value as StringValueSyntax;
        ValueSyntax? passwordFile = null;
        if (value is InlineTableSyntax table)
        {
            foreach (InlineTableItemSyntax item in table.Items)
            {
                if (item.KeyValue?.Key is not { } itemKey || item.KeyValue.Value is not { } itemValue)
                {
                    continue;
                }

                string name = string.Join('.', TomlDocumentReader.KeyPath(itemKey));
                switch (name)
                {
                    case "url" when itemValue is StringValueSyntax text:
                        url = text;
                        break;
                    case "url":
                        WrongType($"{key} url", itemValue, "a proxy URL in quotes, e.g. \"socks5h://alice@127.0.0.1:1081\"");
                        return null;
                    case "password_file":
                        passwordFile = itemValue;
                        break;
                    default:
                        Problem(itemKey, $"unknown key \"{name}\" in {key}", $"a hop's keys are {string.Join(", ", ConfigSchema.HopKeys)}");
                        return null;
                }
            }

            if (url is null)
            {
                Problem(value, $"{key} has no url", $"write {HopExample}");
                return null;
            }
        }
        else if (url is null)
        {
            WrongType(key, value, $"a proxy URL or a table, e.g. {HopExample}");
            return null;
        }

        ProxyHop? hop = ParseHopUrl(key, url);
        if (hop is null)
        {
            return null;
        }

        string? user = hop.UserId;
        if (passwordFile is null)
        {
            if (user is not null && hop.Protocol == SocksProtocol.Socks5)
            {
                Problem(url, $"{key} names the user {user} but has no password_file", $"write {{ url = \"{url.Value}\", password_file = \"/etc/windsock/upstream.password\" }} (the password on the file's first line, chmod 600)");
                return null;
            }

            return hop;
        }

        if (user is null)
        {
            Problem(passwordFile, $"{key} has a password_file but its URL names no user", "write the user into the URL, e.g. socks5h://alice@127.0.0.1:1081");
            return null;
        }

        if (hop.Protocol != SocksProtocol.Socks5)
        {
            Problem(passwordFile, $"{key} is SOCKS4, which has no password", "remove password_file (the URL's user is sent as the SOCKS4 user id), or use socks5h://");
            return null;
        }

        string? password = ReadPasswordFile($"{key} password_file", passwordFile, warnings);
        return password is null ? null : new ProxyHop(hop.Host, hop.Port, hop.Protocol)
        {
            Credentials = new SocksCredentials(user, password),
            Resolution = hop.Resolution,
        };
    }

    /// <summary>
    /// The client tools' URL (ProxyHop.FromUri), with a user but no password: the user is kept as the hop's user id
    /// until the password file makes credentials of it.
    /// </summary>
    private ProxyHop? ParseHopUrl(string key, StringValueSyntax node)
    {
        string text = node.Value ?? "";
        if (!text.Contains("://", StringComparison.Ordinal) || !Uri.TryCreate(text, UriKind.Absolute, out Uri? uri))
        {
            Problem(node, $"{key} \"{text}\" is not a proxy URL", "write socks5h://HOST:PORT (or socks5://, socks4a://, socks4://)");
            return null;
        }

        string? user = null;
        if (uri.UserInfo.Length > 0)
        {
            if (uri.UserInfo.Contains(':', StringComparison.Ordinal))
            {
                Problem(node, $"{key} has a password in its URL, where everyone who can read the configuration sees it",
                    $"keep only the user in the URL and put the password on the first line of a file: {{ url = \"{uri.Scheme}://{uri.UserInfo.Split(':')[0]}@{uri.Authority}\", password_file = \"/etc/windsock/upstream.password\" }} (chmod 600)");
                return null;
            }

            user = Uri.UnescapeDataString(uri.UserInfo);
        }

        ProxyHop hop;
        try
        {
            hop = ProxyHop.FromUri(user is null ? uri : new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty }.Uri);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            Problem(node, $"{key} \"{text}\": {e.Message.Split(" (Parameter", 2)[0].TrimEnd('.')}", "write socks5h://HOST:PORT (or socks5://, socks4a://, socks4://)");
            return null;
        }

        if (hop.Gssapi is not null)
        {
            Problem(node, $"{key} asks for GSSAPI, which upstream routes do not do yet", "remove ?gssapi: routes log in with a user and a password_file, or with none");
            return null;
        }

        if (user is not null && (user.Length > 255 || user.Any(char.IsControl)))
        {
            Problem(node, $"{key}: the user name is longer than 255 characters or has control characters", "write the user the upstream server knows");
            return null;
        }

        return user is null ? hop : new ProxyHop(hop.Host, hop.Port, hop.Protocol) { Resolution = hop.Resolution, UserId = user };
    }

    private string? ReadPasswordFile(string key, ValueSyntax value, List<string> warnings)
    {
        string? path = ReadAdminFilePath(key, value, "/etc/windsock/upstream.password", "name the file holding this hop's password, or remove password_file");
        if (path is null)
        {
            return null;
        }

        if (!File.Exists(path))
        {
            Problem(value, $"{key} {path} does not exist", $"create it: printf '%s\\n' 'PASSWORD' > {path}; chmod 600 {path}");
            return null;
        }

        string firstLine;
        try
        {
            // Capped like every file the server reads: a path such as /dev/zero must not fill memory.
            firstLine = AdminFileReader.ReadText(path, "upstream password file", 4096).Split('\n', 2)[0].TrimEnd('\r');
        }
        catch (ConfigException e)
        {
            Problem(value, $"{key} {path}: {e.Message}", e.Fix);
            return null;
        }

        if (firstLine.Length == 0 || System.Text.Encoding.UTF8.GetByteCount(firstLine) > MaxPasswordBytes)
        {
            Problem(value, $"{key} {path}: the first line is {(firstLine.Length == 0 ? "empty" : $"longer than {MaxPasswordBytes} bytes")}", "write the hop's password on the first line, at most 255 bytes (RFC 1929)");
            return null;
        }

        if (UsersFileMode.Warning(path, "upstream password file", "anyone can log in to the upstream proxy as this user", "anyone there can replace the password") is { } exposed)
        {
            warnings.Add(exposed);
        }

        return firstLine;
    }

    /// <summary>A rule's <c>source</c>: an address of this host, or one per family.</summary>
    private List<IPAddress>? ReadSources(string key, ValueSyntax value)
    {
        var nodes = value is ArraySyntax array ? [.. array.Items.Select(i => i.Value).OfType<ValueSyntax>()] : new List<ValueSyntax> { value };
        if (nodes.Count is 0 or > 2)
        {
            Problem(value, $"{key} must be one address, or one IPv4 and one IPv6 address", "write source = \"192.0.2.10\" or source = [\"192.0.2.10\", \"2001:db8::10\"]");
            return null;
        }

        var sources = new List<IPAddress>();
        foreach (ValueSyntax node in nodes)
        {
            if (ReadAddress(key, node) is not { } address)
            {
                return null;
            }

            if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
            {
                Problem(node, $"{key} is the unspecified address {address}", "write one of this host's addresses, or remove the key to leave from [outside] or the routing table's choice");
                return null;
            }

            if (!OutsideAddresses.IsOnThisHost(address))
            {
                Problem(node, $"{key} {address} is not an address of this host", "write an address one of this host's interfaces has (ip -brief address)");
                return null;
            }

            if (sources.Any(s => s.AddressFamily == address.AddressFamily))
            {
                Problem(node, $"{key} has two addresses of the same family", "write at most one IPv4 and one IPv6 address");
                return null;
            }

            sources.Add(address);
        }

        return sources;
    }

    /// <summary>A rule's via and source, checked for what they may go with; the route name is checked in <see cref="FinishRoutes"/>.</summary>
    private (string? Via, List<IPAddress>? Sources, bool Ok) ReadOutbound(int number, RuleAction? action, CommandSet? commands, Dictionary<string, (SyntaxNode Key, ValueSyntax Value)> values)
    {
        string? via = null;
        List<IPAddress>? sources = null;
        bool ok = true;
        bool hasVia = values.TryGetValue("via", out var viaEntry);
        bool hasSource = values.TryGetValue("source", out var sourceEntry);
        if ((hasVia || hasSource) && action == RuleAction.Deny)
        {
            var (key, _) = hasVia ? viaEntry : sourceEntry;
            Problem(key, $"{(hasVia ? "via" : "source")} (rule {number}) is set on a deny rule, which sends nothing out", "remove the line, or make the rule action = \"allow\"");
            return (null, null, false);
        }

        if (hasVia)
        {
            if (viaEntry.Value is StringValueSyntax text && ReadRouteName($"via (rule {number})", text) is { } name)
            {
                via = name;
                _viaUses.Add((name, text, number));
            }
            else if (viaEntry.Value is not StringValueSyntax)
            {
                WrongType($"via (rule {number})", viaEntry.Value, "the name of a [[route]] in quotes, e.g. \"office\"");
                ok = false;
            }
            else
            {
                ok = false;
            }

            // BIND, UDP and the lookups are served here; only CONNECT goes through a route (docs/upstream-routes.md).
            PolicyCommand[] others = [.. Enum.GetValues<PolicyCommand>().Where(c => c != PolicyCommand.Connect)];
            if (commands is null || others.Any(commands.Contains))
            {
                Problem(viaEntry.Key, $"via (rule {number}) sends CONNECT through route \"{via}\", but the rule also allows {(commands is null ? "every other command (it has no commands key)" : string.Join(", ", others.Where(commands.Contains).Select(c => c.Name())))}, which would go out directly",
                    "add commands = [\"connect\"] to this rule, and a rule of its own for the other commands if they may go out directly");
                ok = false;
            }
        }

        if (hasSource)
        {
            if (hasVia)
            {
                Problem(sourceEntry.Key, $"source (rule {number}) is set with via: the connection goes to the route's first hop, which source does not apply to", "remove source, or via");
                return (null, null, false);
            }

            sources = ReadSources($"source (rule {number})", sourceEntry.Value);
            ok &= sources is not null;
        }

        return (via, sources, ok);
    }

    /// <summary>Every rule's via names a route; the routes go into the options, warnings with them.</summary>
    public ServerOptions FinishRoutes(ServerOptions options)
    {
        foreach ((string name, SyntaxNode at, int rule) in _viaUses)
        {
            if (!_routeNames.ContainsKey(name))
            {
                string? close = Suggestions.Closest(name, [.. _routeNames.Keys]);
                string known = _routeNames.Count == 0 ? "there is no [[route]] in the file" : $"the routes are {string.Join(", ", _routeNames.Keys.Select(k => $"\"{k}\""))}";
                Problem(at, $"via (rule {rule}) names the route \"{name}\", which is not defined", $"{(close is null ? "" : $"did you mean \"{close}\"? ")}{known}; add a [[route]] with name = \"{name}\"");
            }
        }

        // Without routes the options stay the defaults (equal to ServerOptions.Default for an empty file).
        return _routes.Count == 0 ? options : options with { Routes = [.. _routes] };
    }
}
