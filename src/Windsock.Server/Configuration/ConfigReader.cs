using Tomlyn.Syntax;

namespace Windsock.Server.Configuration;

/// <summary>
/// Holds what one parse learns: the problems found so far and where each key came from. This file checks
/// sections and keys against <see cref="ConfigSchema"/> and hands each known key to its section's reader
/// (Configuration/Sections); ConfigReader.Values.cs reads the kinds of value those share.
/// </summary>
internal sealed partial class ConfigReader(string fileName)
{
    private readonly List<ConfigException> _problems = [];

    private string FileName => fileName;

    public Dictionary<string, string> Origins { get; } = new(StringComparer.Ordinal);

    public void ThrowFirstProblem()
    {
        if (_problems.Count > 0)
        {
            throw _problems.OrderBy(p => p.Line).ThenBy(p => p.Column).First();
        }
    }

    public void CheckTable(TomlTableHeader table)
    {
        SyntaxNode at = (SyntaxNode?)table.Syntax.Name ?? table.Syntax;
        string name = string.Join('.', table.Path);
        if (table.Path.Count > 0 && table.Path[0] == ConfigSchema.Rule)
        {
            CheckRuleTable(table, at, name);
            return;
        }

        if (table.Path.Count > 0 && table.Path[0] == ConfigSchema.Route)
        {
            CheckRouteTable(table, at, name);
            return;
        }

        if (table.IsArrayOfTables)
        {
            Problem(at, $"[[{name}]] declares an array of tables", ConfigSchema.Keys.ContainsKey(name) ? $"write [{name}] with single brackets" : SectionFix(table.Path[0]));
            return;
        }

        if (table.Path.Count == 0)
        {
            return;
        }

        if (!ConfigSchema.Keys.ContainsKey(table.Path[0]))
        {
            Problem(at, $"unknown section [{table.Path[0]}]", SectionFix(table.Path[0]));
        }
        else if (table.Path.Count > 1)
        {
            Problem(at, $"unknown section [{name}]", $"[{table.Path[0]}] has no sub-sections; put its keys directly under [{table.Path[0]}]");
        }
    }

    public ServerOptions Apply(ServerOptions options, TomlEntry entry)
    {
        SyntaxNode keyNode = (SyntaxNode?)entry.KeyValue.Key ?? entry.KeyValue;
        IReadOnlyList<string> path = entry.Path;
        if (path.Count == 1)
        {
            string key = path[0];
            string? home = ConfigSchema.SectionOf(key);
            if (key == ConfigSchema.Rule)
            {
                Problem(keyNode, "\"rule\" must be written as [[rule]] tables, not as a value", RuleTableFix);
            }
            else if (key == ConfigSchema.Route)
            {
                Problem(keyNode, "\"route\" must be written as [[route]] tables, not as a value", RouteTableFix);
            }
            else if (ConfigSchema.Keys.ContainsKey(key))
            {
                Problem(entry.Value, $"\"{key}\" must be a section, not a value", $"write [{key}] on its own line and put its keys below it");
            }
            else if (home is not null)
            {
                Problem(keyNode, $"\"{key}\" is outside any section", $"move it below the [{home}] line");
            }
            else
            {
                Problem(keyNode, $"unknown key \"{key}\" outside any section", SectionFix(key));
            }

            return options;
        }

        string section = path[0];
        if (section == ConfigSchema.Rule || section == ConfigSchema.Route)
        {
            // Keys under [rule] or [rule.x] headers: the header reports it; dotted rule.x = ... has none.
            if (entry.KeyValue.Parent?.Parent is not TableSyntaxBase)
            {
                Problem(keyNode, $"\"{entry.DottedPath}\" writes a {section} as a dotted key", section == ConfigSchema.Rule ? RuleTableFix : RouteTableFix);
            }

            return options;
        }

        if (!ConfigSchema.Keys.TryGetValue(section, out IReadOnlyList<string>? known))
        {
            // A [section] header reports this already; dotted keys (foo.bar = 1) have no header.
            if (entry.KeyValue.Parent?.Parent is not TableSyntaxBase)
            {
                Problem(keyNode, $"unknown section \"{section}\"", SectionFix(section));
            }

            return options;
        }

        string name = path[1];
        if (path.Count > 2)
        {
            string message = known.Contains(name)
                ? $"{section}.{name} is a single value and has no sub-key \"{path[2]}\""
                : $"unknown key \"{string.Join('.', path.Skip(1))}\" in [{section}]";
            Problem(keyNode, message, known.Contains(name) ? $"write {name} = VALUE" : KeyFix(section, name, known));
            return options;
        }

        if (!known.Contains(name))
        {
            Problem(keyNode, $"unknown key \"{name}\" in [{section}]", KeyFix(section, name, known));
            return options;
        }

        Origins[entry.DottedPath] = ConfigOrigin.Format(fileName, Line(keyNode), Column(keyNode));
        ServerOptions? updated = ConfigSchema.Key(section, name).Read(this, $"{section}.{name}", name, entry, options);
        return updated ?? options;
    }

    internal void WrongType(string key, ValueSyntax value, string expected) =>
        Problem(value, $"{key} must be {TypeNoun(expected)}, not {Describe(value)}", $"write {expected}");

    private static string TypeNoun(string expected) => expected.StartsWith("true", StringComparison.Ordinal) ? "a boolean" : expected.Split(',')[0];

    private void Problem(SyntaxNode at, ValueProblem problem) => Problem(at, problem.Message, problem.Fix);

    private void Problem(SyntaxNode at, string message, string fix) =>
        AddProblem(new ConfigException(fileName, Line(at), Column(at), message, fix));

    private void AddProblem(ConfigException problem) => _problems.Add(problem);

    private static int Line(SyntaxNode node) => node.Span.Start.Line + 1;

    private static int Column(SyntaxNode node) => node.Span.Start.Column + 1;

    private static string Describe(ValueSyntax value) => value switch
    {
        StringValueSyntax => "a string",
        IntegerValueSyntax => "an integer",
        FloatValueSyntax => "a float",
        BooleanValueSyntax => "a boolean",
        DateTimeValueSyntax => "a date/time",
        ArraySyntax => "an array",
        InlineTableSyntax => "a table",
        _ => "another kind of value",
    };

    private static TimeSpan DefaultDuration(string key) => key switch
    {
        "server.negotiation_timeout" => ServerOptions.Default.NegotiationTimeout,
        "server.connect_timeout" => ServerOptions.Default.ConnectTimeout,
        "server.idle_timeout" => ServerOptions.Default.IdleTimeout,
        "server.shutdown_grace" => ServerOptions.Default.ShutdownGrace,
        "udp.idle_timeout" => ServerOptions.Default.Udp.IdleTimeout,
        "bind.timeout" => BindOptions.Default.Timeout,
        "limits.login_max_delay" => ClientLimits.Default.Logins.MaxDelay,
        "route.retry_time" => UpstreamRouteOptions.DefaultRetryTime,
        _ => TimeSpan.FromSeconds(10),
    };

    private static string SectionFix(string name)
    {
        string? home = ConfigSchema.SectionOf(name);
        if (home is not null)
        {
            return $"\"{name}\" is a key of [{home}]; write it as {name} = ... below [{home}]";
        }

        string? close = Suggestions.Closest(name, ConfigSchema.Sections);
        string known = string.Join(", ", ConfigSchema.Sections.Select(s => $"[{s}]")) + " and [[rule]]";
        if (close is null && Suggestions.Closest(name, [ConfigSchema.Rule]) is not null)
        {
            return $"did you mean [[rule]]? {RuleTableFix}";
        }

        return close is null ? $"the known sections are {known}" : $"did you mean [{close}]? the known sections are {known}";
    }

    private static string KeyFix(string section, string name, IReadOnlyList<string> known)
    {
        string? home = ConfigSchema.SectionOf(name);
        if (home is not null && home != section)
        {
            return $"{name} belongs in [{home}]; move it there";
        }

        string? close = Suggestions.Closest(name, known);
        string list = string.Join(", ", known);
        return close is null ? $"the keys of [{section}] are {list}" : $"did you mean \"{close}\"? the keys of [{section}] are {list}";
    }
}
