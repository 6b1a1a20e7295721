using System.Globalization;
using System.Text;
using Tomlyn;
using Tomlyn.Parsing;
using Tomlyn.Syntax;
using Windsock.Policy;

namespace Windsock.Client.Routing;

/// <summary>
/// Reads the routing file: TOML, one <c>[[rule]]</c> table per rule, in order.
/// <code>
/// [[rule]]
/// name = "corp web"                  # optional, for messages
/// action = "via"                     # "deny", "direct" or "via"
/// to = [".corp.example", "10.0.0.0/8"]
/// ports = ["http", "https", "8000-8080"]
/// proxies = ["socks5h://a:1080", ["socks5h://jump:1080", "socks5://inner:1080"]]
/// </code>
/// Every problem is a <see cref="RoutingFileException"/> at the line and column of the offending
/// key or value, the first in the file. Read from the syntax tree, as the server's loader does,
/// because only the tree keeps positions.
/// </summary>
internal static class RoutingFile
{
    private const int MaxFileBytes = 1024 * 1024;
    private static readonly string[] RuleKeys = ["name", "action", "to", "ports", "users", "proxies"];

    public static IReadOnlyList<RoutingRule> Load(string path)
    {
        byte[] bytes;
        try
        {
            using var stream = File.OpenRead(path);
            if (stream.Length > MaxFileBytes)
            {
                throw new RoutingFileException(path, 0, 0, $"larger than {MaxFileBytes} bytes; is this the right file?");
            }

            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RoutingFileException(path, 0, 0, $"cannot read it: {e.Message}", e);
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new RoutingFileException(path, 0, 0, "not UTF-8 text", e);
        }

        return Parse(text.StartsWith('\uFEFF') ? text[1..] : text, path);
    }

    public static IReadOnlyList<RoutingRule> Parse(string text, string fileName)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);
        DocumentSyntax document;
        try
        {
            // A final newline keeps every position and avoids a Tomlyn 2.10.2 crash on a trailing backslash (see the server's loader).
            document = SyntaxParser.Parse(text.EndsWith('\n') ? text : text + "\n", fileName, validate: true);
        }
        catch (TomlException e)
        {
            throw new RoutingFileException(fileName, Math.Max(1, e.Line ?? 1), Math.Max(1, e.Column ?? 1), $"invalid TOML: {e.Message.TrimEnd('.')}", e);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new RoutingFileException(fileName, text.Count(c => c == '\n') + 1, 1, "invalid TOML near the end of the file", e);
        }

        foreach (DiagnosticMessage diagnostic in document.Diagnostics)
        {
            if (diagnostic.Kind == DiagnosticMessageKind.Error)
            {
                string message = diagnostic.Message.Replace("\u2424", "end of line", StringComparison.Ordinal).TrimEnd('.');
                throw new RoutingFileException(fileName, diagnostic.Span.Start.Line + 1, diagnostic.Span.Start.Column + 1, $"invalid TOML: {message}");
            }
        }

        foreach (KeyValueSyntax keyValue in document.KeyValues)
        {
            throw Problem(fileName, keyValue, $"unknown key \"{KeyText(keyValue.Key)}\" outside a [[rule]]; the file holds only [[rule]] tables");
        }

        var rules = new List<RoutingRule>();
        foreach (TableSyntaxBase table in document.Tables)
        {
            string name = KeyText(table.Name);
            if (table is not TableArraySyntax || name != "rule")
            {
                throw Problem(fileName, table, table is TableArraySyntax || name != "rule"
                    ? $"unknown table \"{name}\"; the file holds only [[rule]] tables"
                    : "write [[rule]] with double brackets: each rule is one entry of the list of rules");
            }

            rules.Add(ReadRule(fileName, rules.Count + 1, table));
        }

        return rules;
    }

    private static RoutingRule ReadRule(string fileName, int number, TableSyntaxBase table)
    {
        var location = new SourceLocation(fileName, table.Span.Start.Line + 1, table.Span.Start.Column + 1);
        string? name = null;
        RouteAction? action = null;
        KeyValueSyntax? actionKey = null;
        DestinationSet? to = null;
        PortSet? ports = null;
        IReadOnlyList<string>? users = null;
        List<ProxyChain>? proxies = null;
        KeyValueSyntax? proxiesKey = null;

        foreach (KeyValueSyntax keyValue in table.Items)
        {
            string key = KeyText(keyValue.Key);
            ValueSyntax value = keyValue.Value!;
            switch (key)
            {
                case "name":
                    name = value is StringValueSyntax s && !string.IsNullOrWhiteSpace(s.Value)
                        ? s.Value
                        : throw Problem(fileName, value, "name must be a non-empty string, e.g. name = \"corp web\"");
                    break;
                case "action":
                    actionKey = keyValue;
                    action = (value as StringValueSyntax)?.Value switch
                    {
                        "deny" => RouteAction.Deny,
                        "direct" => RouteAction.Direct,
                        "via" => RouteAction.Via,
                        _ => throw Problem(fileName, value, $"action must be \"deny\", \"direct\" or \"via\", not {Describe(value)}"),
                    };
                    break;
                case "to":
                    to = ReadDestinations(fileName, value);
                    break;
                case "ports":
                    ports = ReadPorts(fileName, value);
                    break;
                case "users":
                    users = [.. StringItems(fileName, "users", value, "[\"alice\", \"build\"]").Select(i => string.IsNullOrEmpty(i.Value) ? throw Problem(fileName, i, "users items are local user names, not empty") : i.Value)];
                    break;
                case "proxies":
                    proxiesKey = keyValue;
                    proxies = ReadProxies(fileName, value);
                    break;
                default:
                    throw Problem(fileName, keyValue, $"unknown key \"{key}\" in a rule; the keys are {string.Join(", ", RuleKeys)}");
            }
        }

        if (action is null)
        {
            throw Problem(fileName, table, string.Create(CultureInfo.InvariantCulture, $"rule {number} has no action; add action = \"deny\", \"direct\" or \"via\""));
        }

        string origin = RoutingRule.Describe(number, name, location);
        Route route;
        switch (action.Value)
        {
            case RouteAction.Via when proxies is null:
                throw Problem(fileName, actionKey!, "action \"via\" needs proxies = [\"socks5h://HOST:PORT\", ...], tried in order");
            case RouteAction.Via:
                route = Route.Via(proxies, origin);
                break;
            case var other when proxies is not null:
                throw Problem(fileName, proxiesKey!, $"proxies make sense only with action = \"via\", not \"{other.ToString().ToLowerInvariant()}\"");
            case RouteAction.Deny:
                route = Route.Deny(origin);
                break;
            default:
                route = Route.Direct(origin);
                break;
        }

        return new RoutingRule(number, name, location, route, to, ports) { Users = users };
    }

    private static DestinationSet ReadDestinations(string fileName, ValueSyntax value)
    {
        List<StringValueSyntax> items = StringItems(fileName, "to", value, "[\".example.com\", \"10.0.0.0/8\"]");
        if (!DestinationSet.TryParse(items.Select(i => i.Value ?? ""), out DestinationSet? set, out int errorIndex, out string? error))
        {
            throw Problem(fileName, errorIndex >= 0 ? items[errorIndex] : value, error!);
        }

        return set;
    }

    private static PortSet ReadPorts(string fileName, ValueSyntax value)
    {
        if (value is not ArraySyntax array)
        {
            throw Problem(fileName, value, $"ports must be an array, e.g. [\"https\", 22, \"8000-8080\"], not {Describe(value)}");
        }

        var texts = new List<string>();
        var nodes = new List<SyntaxNode>();
        foreach (ArrayItemSyntax item in array.Items)
        {
            switch (item.Value)
            {
                case StringValueSyntax s:
                    texts.Add(s.Value ?? "");
                    break;
                case IntegerValueSyntax i:
                    texts.Add(i.Value.ToString(CultureInfo.InvariantCulture));
                    break;
                case { } other:
                    throw Problem(fileName, other, $"ports items are numbers, ranges or service names, not {Describe(other)}");
                default:
                    continue;
            }

            nodes.Add(item.Value!);
        }

        if (!PortSet.TryParse(texts, out PortSet? set, out int errorIndex, out string? error))
        {
            throw Problem(fileName, errorIndex >= 0 ? nodes[errorIndex] : value, error!);
        }

        return set;
    }

    private static List<ProxyChain> ReadProxies(string fileName, ValueSyntax value)
    {
        const string Example = "[\"socks5h://proxy-a:1080\", \"socks5h://proxy-b:1080\"]";
        if (value is not ArraySyntax array)
        {
            throw Problem(fileName, value, $"proxies must be an array of proxy URLs, e.g. {Example}, not {Describe(value)}");
        }

        var chains = new List<ProxyChain>();
        foreach (ArrayItemSyntax item in array.Items)
        {
            switch (item.Value)
            {
                case StringValueSyntax url:
                    chains.Add(new ProxyChain(ReadHop(fileName, url)));
                    break;
                case ArraySyntax chain:
                    var hops = StringItems(fileName, "a chain in proxies", chain, "[\"socks5h://jump:1080\", \"socks5://inner:1080\"]")
                        .Select(u => ReadHop(fileName, u))
                        .ToList();
                    chains.Add(hops.Count > 0 ? new ProxyChain(hops) : throw Problem(fileName, chain, "an empty chain; list its proxies first to last"));
                    break;
                case { } other:
                    throw Problem(fileName, other, $"each proxy is a URL string, or an array of URLs for a chain, not {Describe(other)}");
            }
        }

        return chains.Count > 0 ? chains : throw Problem(fileName, value, $"an empty list of proxies; write e.g. {Example}");
    }

    private static ProxyHop ReadHop(string fileName, StringValueSyntax url)
    {
        try
        {
            string folder = Path.GetDirectoryName(Path.GetFullPath(fileName)) ?? Directory.GetCurrentDirectory();
            return ParseProxyUrl(url.Value ?? "", folder, Environment.GetEnvironmentVariable, userFromEnvironment: false);
        }
        catch (FormatException e)
        {
            throw Problem(fileName, url, e.Message);
        }
    }

    /// <summary>
    /// A proxy URL as <see cref="ProxyHop.FromUri"/> takes it, with its password possibly kept elsewhere
    /// (<see cref="ProxyUrlCredentials"/>); a <see cref="FormatException"/> says what is wrong in one line.
    /// </summary>
    internal static ProxyHop ParseProxyUrl(string text, string folder, Func<string, string?> variable, bool userFromEnvironment)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? uri) || !text.Contains("://", StringComparison.Ordinal))
        {
            throw new FormatException($"\"{text}\" is not a proxy URL; write socks5h://HOST:PORT (or socks5, socks4a, socks4)");
        }

        try
        {
            var (bare, credentials) = ProxyUrlCredentials.Split(uri, folder, variable, userFromEnvironment);
            var hop = ProxyHop.FromUri(bare);
            return credentials is null ? hop : hop.WithCredentials(credentials);
        }
        catch (FormatException e)
        {
            throw new FormatException($"\"{Redact(uri)}\": {e.Message}", e);
        }
        catch (ArgumentException e)
        {
            string why = e.Message.Split(" (Parameter", 2)[0].TrimEnd('.');
            throw new FormatException($"\"{Redact(uri)}\": {why}", e);
        }
    }

    private static string Redact(Uri uri) => uri.UserInfo.Length == 0 ? uri.OriginalString : uri.OriginalString.Replace(uri.UserInfo, "***", StringComparison.Ordinal);

    private static List<StringValueSyntax> StringItems(string fileName, string key, ValueSyntax value, string example)
    {
        if (value is not ArraySyntax array)
        {
            throw Problem(fileName, value, $"{key} must be an array of strings, e.g. {example}, not {Describe(value)}");
        }

        var items = new List<StringValueSyntax>();
        foreach (ArrayItemSyntax item in array.Items)
        {
            items.Add(item.Value switch
            {
                StringValueSyntax s => s,
                { } other => throw Problem(fileName, other, $"{key} items must be strings, not {Describe(other)}; e.g. {example}"),
                null => throw Problem(fileName, item, $"{key}: an empty item"),
            });
        }

        return items;
    }

    private static string KeyText(KeySyntax? key)
    {
        if (key is null)
        {
            return "";
        }

        var parts = new List<string> { KeyName(key.Key) };
        parts.AddRange(key.DotKeys.Select(d => KeyName(d.Key)));
        return string.Join('.', parts);
    }

    private static string KeyName(BareKeyOrStringValueSyntax? key) => key switch
    {
        BareKeySyntax bare => bare.Key?.Text ?? "",
        StringValueSyntax quoted => quoted.Value ?? "",
        _ => "",
    };

    private static string Describe(SyntaxNode value) => value switch
    {
        StringValueSyntax s => $"\"{s.Value}\"",
        IntegerValueSyntax => "a number",
        BooleanValueSyntax => "a boolean",
        ArraySyntax => "an array",
        InlineTableSyntax => "a table",
        _ => "that value",
    };

    private static RoutingFileException Problem(string fileName, SyntaxNode at, string problem) =>
        new(fileName, at.Span.Start.Line + 1, at.Span.Start.Column + 1, problem);
}
