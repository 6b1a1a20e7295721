using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Tomlyn.Syntax;
using Windsock.Policy;
using Windsock.Server.Hooks;

namespace Windsock.Server.Configuration;

/// <summary>
/// The access rules: <c>[[rule]]</c> tables and the <c>[access]</c> section (docs/policy.md).
/// Values are parsed with the Windsock.Policy parsers, so the loader and <c>windsock check</c>
/// accept exactly what the engine means; their "message; fix" texts are split into a located
/// <see cref="ConfigException"/>.
/// </summary>
internal sealed partial class ConfigReader
{
    private const string RuleTableFix = "write each rule as a [[rule]] table (double brackets) with its keys below it, one table per rule, in the order they are tried (docs/policy.md)";

    private readonly List<AccessRule> _rules = [];

    // [access]: null until set.
    private DenyReply? _defaultReply;
    private RuleLogLevel? _defaultLog;
    private List<string>? _notifyDenied;
    private SyntaxNode? _firstAccessKey;

    /// <summary>The first <c>groups</c> key of a rule, to point at when no groups file is configured.</summary>
    private SyntaxNode? _firstGroupsKey;

    public void CheckRuleTable(TomlTableHeader table, SyntaxNode at, string name)
    {
        if (table.Path.Count == 1 && table.IsArrayOfTables)
        {
            return;
        }

        if (table.Path.Count == 1)
        {
            Problem(at, "[rule] declares a single table, but rules are an array of tables", "write [[rule]] with double brackets, once above each rule");
        }
        else
        {
            Problem(at, $"unknown section [{(table.IsArrayOfTables ? "[" + name + "]" : name)}]", "a [[rule]] has no sub-tables; put its keys directly below [[rule]]");
        }
    }

    /// <summary>Reads one [[rule]] table into an <see cref="AccessRule"/>; problems are recorded, not thrown.</summary>
    public void ReadRule(TableArraySyntax table)
    {
        int number = _rules.Count + 1;
        SyntaxNode header = (SyntaxNode?)table.Name ?? table;
        var location = new SourceLocation(FileName, Line(header), 1);
        (var values, bool ok) = TableValues(table, (key, path) =>
            !ConfigSchema.RuleKeys.Contains(path[0]) ? ($"unknown key \"{string.Join('.', path)}\" in [[rule]] (rule {number})", RuleKeyFix(path[0]))
            : path.Count > 1 ? ($"{path[0]} (rule {number}) is a single value and has no sub-key \"{path[1]}\"", $"write {path[0]} = VALUE")
            : null);
        AccessRule? rule = ok ? BuildRule(number, location, values) : null;
        // A placeholder keeps the numbering of later rules right in their messages.
        _rules.Add(rule ?? new AccessRule { Action = RuleAction.Deny, Location = location });
    }

    /// <summary>
    /// The keys of a [[rule]] or [[route]] table with their values. <paramref name="refuse"/> says what is wrong with a
    /// key's path (message and fix), or null for a known key; refused keys are reported and make the table not ok.
    /// </summary>
    private (Dictionary<string, (SyntaxNode Key, ValueSyntax Value)> Values, bool Ok) TableValues(TableArraySyntax table, Func<KeySyntax, List<string>, (string Message, string Fix)?> refuse)
    {
        var values = new Dictionary<string, (SyntaxNode Key, ValueSyntax Value)>(StringComparer.Ordinal);
        bool ok = true;
        foreach (KeyValueSyntax item in table.Items)
        {
            if (item.Key is null || item.Value is null)
            {
                continue;
            }

            List<string> path = TomlDocumentReader.KeyPath(item.Key);
            if (path.Count == 0)
            {
                path.Add("");
            }

            if (refuse(item.Key, path) is { } problem)
            {
                Problem(item.Key, problem.Message, problem.Fix);
                ok = false;
            }
            else
            {
                values[path[0]] = (item.Key, item.Value);
            }
        }

        return (values, ok);
    }

    /// <summary>Puts the rules and [access] into the options, with the checks that need the whole file.</summary>
    public ServerOptions Finish(ServerOptions options)
    {
        if (_firstGroupsKey is not null && options.GroupsFile is null)
        {
            Problem(_firstGroupsKey, "a rule names groups, but no groups file is configured", "set groups_file under [auth] (lines of \"group: user1, user2\"), or name users instead of groups");
        }

        if (_rules.Count == 0)
        {
            if (_firstAccessKey is not null)
            {
                Problem(_firstAccessKey, "[access] is set but there is no [[rule]]: without rules the server decides as if the file had none, and [access] would be ignored", "add [[rule]] tables (docs/policy.md), or remove the [access] section");
            }

            return options;
        }

        var rules = new RuleSet(_rules)
        {
            DefaultReply = _defaultReply ?? DenyReply.NotAllowed,
            DefaultLogLevel = _defaultLog ?? RuleLogLevel.Warning,
            NotifyOnDeny = _notifyDenied ?? [],
        };
        return options with { Rules = rules };
    }

    internal ServerOptions? ApplyAccess(ServerOptions options, string name, TomlEntry entry)
    {
        string key = $"{ConfigSchema.Access}.{name}";
        _firstAccessKey ??= (SyntaxNode?)entry.KeyValue.Key ?? entry.KeyValue;
        ValueSyntax value = entry.Value;
        switch (name)
        {
            case "default_reply":
                DenyReply? reply = ReadReply(key, value);
                if (reply is null)
                {
                    return null;
                }

                _defaultReply = reply;
                return options;

            case "default_log":
                RuleLogLevel? level = ReadKeyword<RuleLogLevel>(key, value, RuleLogLevels.TryParse, ["debug", "info", "warning", "error"]);
                if (level is null)
                {
                    return null;
                }

                _defaultLog = level;
                return options;

            default:
                List<string>? commands = ReadHookArray(key, value);
                if (commands is null)
                {
                    return null;
                }

                _notifyDenied = commands;
                return options;
        }
    }

    private AccessRule? BuildRule(int number, SourceLocation location, Dictionary<string, (SyntaxNode Key, ValueSyntax Value)> values)
    {
        bool ok = true;
        string Key(string key) => $"{key} (rule {number})";
        ValueSyntax? Get(string key) => values.TryGetValue(key, out var found) ? found.Value : null;

        RuleAction? action = null;
        if (Get("action") is { } actionValue)
        {
            action = ReadKeyword<RuleAction>(Key("action"), actionValue, RuleActions.TryParse, ["allow", "deny"]);
            ok &= action is not null;
        }
        else
        {
            // At the rule's own location (its header line, column 1), as explanations show it.
            AddProblem(new ConfigException(FileName, location.Line, location.Column, $"rule {number} has no action", "add action = \"allow\" or action = \"deny\" below its [[rule]] line"));
            ok = false;
        }

        string? name = null;
        if (Get("name") is { } nameValue)
        {
            name = ReadLabel(Key("name"), nameValue, 100, "a short label such as \"staff web\"");
            ok &= name is not null;
        }

        string? reason = null;
        if (Get("reason") is { } reasonValue)
        {
            reason = ReadLabel(Key("reason"), reasonValue, 500, "one line for the request log, e.g. \"telnet is not allowed\"");
            ok &= reason is not null;
        }

        UserSet? users = null;
        List<string>? userNames = null;
        List<string>? groupNames = null;
        if (Get("users") is { } usersValue)
        {
            userNames = ReadNames(Key("users"), usersValue, "[\"alice\", \"bob\"]");
            ok &= userNames is not null;
        }

        if (Get("groups") is { } groupsValue)
        {
            _firstGroupsKey ??= values["groups"].Key;
            groupNames = ReadNames(Key("groups"), groupsValue, "[\"staff\"]");
            ok &= groupNames is not null;
        }

        if ((userNames is not null || groupNames is not null) && ok)
        {
            // Names were checked one by one above, so this only builds the set.
            ok &= UserSet.TryParse(userNames ?? [], groupNames ?? [], out users, out _);
        }

        AuthMethodSet? methods = ReadSet<AuthMethodSet>(values, "methods", number, AuthMethodSet.TryParse, integers: false, "[\"username\"]", "write \"none\", \"username\" or \"gssapi\"", ref ok);
        VersionSet? versions = ReadSet<VersionSet>(values, "versions", number, VersionSet.TryParse, integers: true, "[\"5\"]", "write \"4\", \"4a\" or \"5\"", ref ok);
        CommandSet? commands = ReadSet<CommandSet>(values, "commands", number, CommandSet.TryParse, integers: false, "[\"connect\"]", "write connect, bind, udp, resolve, resolve-ptr, ping or traceroute", ref ok);
        NetworkSet? from = ReadSet<NetworkSet>(values, "from", number, NetworkSet.TryParse, integers: false, "[\"10.0.0.0/8\"]", "write a network such as \"10.0.0.0/8\" or a single address", ref ok);
        PortSet? fromPorts = ReadSet<PortSet>(values, "from_ports", number, PortSet.TryParse, integers: true, "[\"1024-65535\"]", "write a port (443), a range (\"1024-65535\") or a service name (\"https\")", ref ok);
        DestinationSet? to = ReadSet<DestinationSet>(values, "to", number, DestinationSet.TryParse, integers: false, "[\"10.0.0.0/8\", \"*.example.com\"]", "write a network (\"10.0.0.0/8\"), an address, or a host pattern (\"host.example.com\", \"*.example.com\", \".example.com\")", ref ok);
        PortSet? ports = ReadSet<PortSet>(values, "ports", number, PortSet.TryParse, integers: true, "[443]", "write a port (443), a range (\"1024-65535\") or a service name (\"https\")", ref ok);

        DenyReply reply = DenyReply.NotAllowed;
        if (values.TryGetValue("reply", out var replyEntry))
        {
            if (action == RuleAction.Allow)
            {
                Problem(replyEntry.Key, $"{Key("reply")} is set on an allow rule, which never answers with a denial", "remove the reply line, or make the rule action = \"deny\"");
                ok = false;
            }
            else if (ReadReply(Key("reply"), replyEntry.Value) is { } parsedReply)
            {
                reply = parsedReply;
            }
            else
            {
                ok = false;
            }
        }

        RuleLogLevel log = RuleLogLevel.Info;
        if (Get("log") is { } logValue)
        {
            RuleLogLevel? parsedLog = ReadKeyword<RuleLogLevel>(Key("log"), logValue, RuleLogLevels.TryParse, ["debug", "info", "warning", "error"]);
            ok &= parsedLog is not null;
            log = parsedLog ?? log;
        }

        IdentMode ident = IdentMode.Off;
        if (Get("ident") is { } identValue)
        {
            IdentMode? parsedIdent = ReadKeyword<IdentMode>(Key("ident"), identValue, IdentModes.TryParse, ["off", "check", "require"]);
            ok &= parsedIdent is not null;
            ident = parsedIdent ?? ident;
        }

        List<string>? notify = null;
        if (Get("notify") is { } notifyValue)
        {
            notify = ReadHookArray(Key("notify"), notifyValue);
            ok &= notify is not null;
        }

        (string? via, List<System.Net.IPAddress>? sources, bool outboundOk) = ReadOutbound(number, action, commands, values);
        ok &= outboundOk;
        if (!ok || action is null)
        {
            return null;
        }

        return new AccessRule
        {
            Action = action.Value,
            Name = name,
            Location = location,
            Users = users,
            Methods = methods,
            Versions = versions,
            Commands = commands,
            From = from,
            FromPorts = fromPorts,
            To = to,
            Ports = ports,
            Reply = reply,
            Reason = reason,
            LogLevel = log,
            Notify = notify ?? [],
            Ident = ident,
            Via = via,
            Sources = sources ?? [],
        };
    }

    private delegate bool SetParser<TSet>(IEnumerable<string> items, [NotNullWhen(true)] out TSet? set, out int errorIndex, out string? error);

    private delegate bool KeywordParser<T>(string text, out T value, out string? error);

    /// <summary>An array key of a rule, parsed by a Policy set parser; an error points at the offending element.</summary>
    private TSet? ReadSet<TSet>(
        Dictionary<string, (SyntaxNode Key, ValueSyntax Value)> values, string name, int number, SetParser<TSet> parse, bool integers, string example, string fix, ref bool ok)
        where TSet : class
    {
        if (!values.TryGetValue(name, out var entry))
        {
            return null;
        }

        string key = $"{name} (rule {number})";
        List<(string Text, ValueSyntax Node)>? items = ReadItems(key, entry.Value, integers, example);
        if (items is null)
        {
            ok = false;
            return null;
        }

        if (!parse(items.Select(i => i.Text), out TSet? set, out int errorIndex, out string? error))
        {
            SyntaxNode at = errorIndex >= 0 && errorIndex < items.Count ? items[errorIndex].Node : entry.Value;
            Problem(at, Split(key, error, fix));
            ok = false;
            return null;
        }

        return set;
    }

    /// <summary>A non-empty array whose elements are strings (and, where allowed, integers, as their decimal text).</summary>
    private List<(string Text, ValueSyntax Node)>? ReadItems(string key, ValueSyntax value, bool integers, string example)
    {
        string kinds = integers ? "strings or integers" : "strings";
        if (value is StringValueSyntax single)
        {
            Problem(value, $"{key} must be an array, not a single string", $"put brackets around it: [\"{single.Value}\"]");
            return null;
        }

        if (value is IntegerValueSyntax integer && integers)
        {
            Problem(value, $"{key} must be an array, not a single integer", string.Create(CultureInfo.InvariantCulture, $"put brackets around it: [{integer.Value}]"));
            return null;
        }

        if (value is not ArraySyntax array)
        {
            WrongType(key, value, $"an array of {kinds}, e.g. {example}");
            return null;
        }

        var items = new List<(string, ValueSyntax)>();
        bool ok = true;
        foreach (ArrayItemSyntax item in array.Items)
        {
            switch (item.Value)
            {
                case StringValueSyntax text:
                    items.Add((text.Value ?? "", text));
                    break;
                case IntegerValueSyntax number when integers:
                    items.Add((number.Value.ToString(CultureInfo.InvariantCulture), number));
                    break;
                case null:
                    break;
                default:
                    Problem(item.Value, $"{key} items must be {kinds}, not {Describe(item.Value)}", $"write e.g. {example}");
                    ok = false;
                    break;
            }
        }

        if (ok && items.Count == 0)
        {
            Problem(value, $"{key} is an empty array, which matches nothing", $"leave the key out to match everything, or list values, e.g. {example}");
            return null;
        }

        return ok ? items : null;
    }

    /// <summary>User or group names: a non-empty array of strings, each a valid name.</summary>
    private List<string>? ReadNames(string key, ValueSyntax value, string example)
    {
        List<(string Text, ValueSyntax Node)>? items = ReadItems(key, value, integers: false, example);
        if (items is null)
        {
            return null;
        }

        bool ok = true;
        foreach ((string text, ValueSyntax node) in items)
        {
            if (!UserSet.TryParseName(text, out string? error))
            {
                Problem(node, Split(key, error, "write the name as in the users or groups file"));
                ok = false;
            }
        }

        return ok ? [.. items.Select(i => i.Text)] : null;
    }

    /// <summary>Hook command lines: a non-empty array of strings, each one <see cref="HookCommand.TryParse"/> accepts.</summary>
    private List<string>? ReadHookArray(string key, ValueSyntax value)
    {
        const string Example = "[\"/usr/bin/logger -t windsock '%u denied %Z:%s'\"]";
        List<(string Text, ValueSyntax Node)>? items = ReadItems(key, value, integers: false, Example);
        if (items is null)
        {
            return null;
        }

        bool ok = true;
        foreach ((string text, ValueSyntax node) in items)
        {
            if (!HookCommand.TryParse(text, out _, out string? error))
            {
                Problem(node, $"{key}: {error}", "write the program's absolute path and its arguments; %-codes such as %u %A %Z are filled in per event");
                ok = false;
            }
        }

        return ok ? [.. items.Select(i => i.Text)] : null;
    }

    private DenyReply? ReadReply(string key, ValueSyntax value)
    {
        string? error;
        DenyReply reply;
        switch (value)
        {
            case StringValueSyntax text:
                if (DenyReply.TryParse(text.Value ?? "", out reply, out error))
                {
                    return reply;
                }

                string[] names = ["drop", "general-failure", "not-allowed", "network-unreachable", "host-unreachable", "connection-refused", "ttl-expired", "command-not-supported", "address-type-not-supported"];
                string? close = Suggestions.Closest(text.Value ?? "", names);
                ValueProblem problem = Split(key, error, "write \"drop\", a reply name such as \"not-allowed\", or the SOCKS5 code 1 to 8");
                Problem(value, close is null ? problem : problem with { Fix = $"did you mean \"{close}\"? {problem.Fix}" });
                return null;

            case IntegerValueSyntax code:
                if (DenyReply.TryFromCode(code.Value, out reply, out error))
                {
                    return reply;
                }

                Problem(value, Split(key, error, "use 1 to 8 or \"drop\""));
                return null;

            default:
                WrongType(key, value, "a reply name in quotes such as \"not-allowed\", or a SOCKS5 code from 1 to 8");
                return null;
        }
    }

    private T? ReadKeyword<T>(string key, ValueSyntax value, KeywordParser<T> parse, string[] choices)
        where T : struct
    {
        string list = string.Join(", ", choices.Select(c => $"\"{c}\""));
        if (value is not StringValueSyntax text)
        {
            WrongType(key, value, $"one of {list}");
            return null;
        }

        if (parse(text.Value ?? "", out T result, out _))
        {
            return result;
        }

        string? close = Suggestions.Closest(text.Value ?? "", choices);
        Problem(value, $"unknown {key} \"{text.Value}\"", close is null ? $"use {list}" : $"did you mean \"{close}\"? use {list}");
        return null;
    }

    /// <summary>A one-line text for logs: not empty, no control characters (they would forge log lines), bounded.</summary>
    private string? ReadLabel(string key, ValueSyntax value, int maxLength, string example)
    {
        if (value is not StringValueSyntax text)
        {
            WrongType(key, value, $"a string, e.g. {example}");
            return null;
        }

        string label = text.Value ?? "";
        if (label.Trim().Length == 0)
        {
            Problem(value, $"{key} is empty", $"write {example}, or remove the line");
            return null;
        }

        if (label.Any(char.IsControl))
        {
            Problem(value, $"{key} contains a control character (a line break or tab)", "write it on one line without control characters: it goes into the request log");
            return null;
        }

        if (label.Length > maxLength)
        {
            Problem(value, string.Create(CultureInfo.InvariantCulture, $"{key} is {label.Length} characters long, more than {maxLength}"), "shorten it");
            return null;
        }

        return label;
    }

    /// <summary>The Policy parsers say "what is wrong; what to write": the two halves of a located problem.</summary>
    private static ValueProblem Split(string key, string? error, string fallbackFix)
    {
        var problem = ValueProblem.FromPolicyError(error, fallbackFix);
        return problem with { Message = $"{key}: {problem.Message}" };
    }

    private static string RuleKeyFix(string name)
    {
        string list = string.Join(", ", ConfigSchema.RuleKeys);
        string? home = ConfigSchema.SectionOf(name);
        if (home is not null)
        {
            return $"{name} belongs in [{home}]: keys below a [[rule]] line belong to that rule until the next header, so write [{home}] above it";
        }

        string? close = Suggestions.Closest(name, ConfigSchema.RuleKeys);
        return close is null ? $"the keys of a [[rule]] are {list}" : $"did you mean \"{close}\"? the keys of a [[rule]] are {list}";
    }
}
