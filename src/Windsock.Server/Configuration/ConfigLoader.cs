using System.Globalization;
using System.Net;
using Tomlyn.Parsing;
using Tomlyn.Syntax;
using Tomlyn;
using Windsock.Policy;
using Windsock.Server.Hooks;
using Windsock.Server.Relay;

namespace Windsock.Server.Configuration;

/// <summary>
/// Reads the TOML configuration file into <see cref="ServerOptions"/>. Every problem is a
/// <see cref="ConfigException"/> at the line and column of the offending key or value; when a file
/// has several, the first one in the file is reported so the administrator fixes them top down.
/// Keys that are absent keep the <see cref="ServerOptions"/> defaults.
/// </summary>
public static partial class ConfigLoader
{
    // Far beyond any real configuration; stops a mistaken path such as /dev/zero from eating memory.
    private const int MaxFileBytes = 1024 * 1024;

    private const string TomlSyntaxFix = "correct the TOML syntax at this position (see https://toml.io)";

    public static ServerOptions Load(string path)
    {
        string text = AdminFileReader.ReadText(path, "configuration file", MaxFileBytes);
        return Parse(text, path);
    }

    /// <param name="text">The file's content.</param>
    /// <param name="fileName">
    /// Used in messages and origins as given, and to resolve a relative <c>auth.users_file</c>
    /// against the file's folder (so the result does not depend on the server's working directory).
    /// </param>
    public static ServerOptions Parse(string text, string fileName)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);

        ThrowIfNotUnicode(text, fileName);
        DocumentSyntax document;
        try
        {
            // Tomlyn 2.10.2 crashes formatting the error for a backslash right before the end of
            // the text (char32.ToString of end-of-file); a final newline means the same TOML and
            // keeps every position, and avoids it.
            document = SyntaxParser.Parse(text.EndsWith('\n') ? text : text + "\n", fileName, validate: true);
        }
        catch (TomlException e)
        {
            // Tomlyn throws rather than reports for a few limits, such as nesting deeper than 64.
            throw new ConfigException(fileName, Math.Max(1, e.Line ?? 1), Math.Max(1, e.Column ?? 1), $"invalid TOML: {e.Message.TrimEnd('.')}", TomlSyntaxFix, e);
        }
        catch (ArgumentOutOfRangeException e)
        {
            // The same family of Tomlyn bug in a form we have not met: still a located refusal,
            // never a crash. Such errors have all been at the end of the text.
            int lastLine = text.Count(c => c == '\n') + 1;
            throw new ConfigException(fileName, lastLine, 1, "invalid TOML near the end of the file (the parser failed without a position)", TomlSyntaxFix, e);
        }

        foreach (DiagnosticMessage diagnostic in document.Diagnostics)
        {
            if (diagnostic.Kind == DiagnosticMessageKind.Error)
            {
                // Tomlyn shows a line break as U+2424, which many terminals cannot draw.
                string message = diagnostic.Message.Replace("\u2424", "end of line", StringComparison.Ordinal).TrimEnd('.');
                bool duplicate = message.Contains("already defined", StringComparison.Ordinal);
                throw new ConfigException(
                    fileName,
                    diagnostic.Span.Start.Line + 1,
                    diagnostic.Span.Start.Column + 1,
                    duplicate ? message : $"invalid TOML: {message}",
                    duplicate ? "remove one of the two definitions, or merge them" : TomlSyntaxFix);
            }
        }

        var reader = new Reader(fileName);
        (List<TomlTableHeader> tables, List<TomlEntry> entries, List<TableArraySyntax> rules) = TomlDocumentReader.Read(document);
        foreach (TomlTableHeader table in tables)
        {
            reader.CheckTable(table);
        }

        ServerOptions options = ServerOptions.Default;
        foreach (TomlEntry entry in entries)
        {
            options = reader.Apply(options, entry);
        }

        foreach (TableArraySyntax rule in rules)
        {
            reader.ReadRule(rule);
        }

        options = reader.Finish(options);
        options = reader.FinishGssapi(options);
        reader.ThrowFirstProblem();
        return options with { Origins = reader.Origins };
    }

    /// <summary>
    /// Text read from a file is already valid (the reader decodes strict UTF-8), but a caller may
    /// pass any string, and Tomlyn throws on unpaired surrogates instead of reporting them.
    /// </summary>
    private static void ThrowIfNotUnicode(string text, string fileName)
    {
        int line = 1;
        int column = 1;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                throw new ConfigException(fileName, line, column, "the text contains an unpaired UTF-16 surrogate", "save the file as valid UTF-8");
            }
            else if (c == '\n')
            {
                line++;
                column = 0;
            }

            column++;
        }
    }

    /// <summary>Holds what one parse learns: the problems found so far and where each key came from.</summary>
    private sealed partial class Reader(string fileName)
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
            if (section == ConfigSchema.Rule)
            {
                // Keys under [rule] or [rule.x] headers: the header reports it; dotted rule.x = ... has none.
                if (entry.KeyValue.Parent?.Parent is not TableSyntaxBase)
                {
                    Problem(keyNode, $"\"{entry.DottedPath}\" writes a rule as a dotted key", RuleTableFix);
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
            ServerOptions? updated = ApplyKnown(options, section, name, entry);
            return updated ?? options;
        }

        /// <summary>Returns null when the value was rejected (the problem is recorded).</summary>
        private ServerOptions? ApplyKnown(ServerOptions options, string section, string name, TomlEntry entry)
        {
            string key = $"{section}.{name}";
            ValueSyntax value = entry.Value;
            switch (key)
            {
                case "server.listen":
                    List<IPEndPoint>? listen = ReadListen(key, value);
                    return listen is null ? null : options with { Listen = listen };

                case "server.allowed_clients":
                    List<IPNetwork>? clients = ReadAllowedClients(key, value);
                    return clients is null ? null : options with { AllowedClients = clients };

                case "server.log_format":
                    LogFormat? format = ReadLogFormat(key, value);
                    return format is null ? null : options with { LogFormat = format.Value };

                case "server.negotiation_timeout":
                    TimeSpan? negotiation = ReadDuration(key, name, value);
                    return negotiation is null ? null : options with { NegotiationTimeout = negotiation.Value };

                case "server.connect_timeout":
                    TimeSpan? connect = ReadDuration(key, name, value);
                    return connect is null ? null : options with { ConnectTimeout = connect.Value };

                case "server.idle_timeout":
                    TimeSpan? idle = ReadDuration(key, name, value);
                    return idle is null ? null : options with { IdleTimeout = idle.Value };

                case "server.shutdown_grace":
                    TimeSpan? grace = ReadDuration(key, name, value);
                    return grace is null ? null : options with { ShutdownGrace = grace.Value };

                case "server.relay_mode":
                    RelayMode? relayMode = ReadRelayMode(key, value);
                    return relayMode is null ? null : options with { RelayMode = relayMode.Value };
                case "server.relay_buffer_size":
                    long? size = ReadInteger(key, value, ConfigSchema.MinRelayBufferSize, ConfigSchema.MaxRelayBufferSize, "bytes, e.g. 65536");
                    return size is null ? null : options with { RelayBufferSize = (int)size.Value };

                case "server.allow_open_proxy":
                    if (value is not BooleanValueSyntax flag)
                    {
                        WrongType(key, value, "true or false (without quotes)");
                        return null;
                    }

                    return options with { AllowOpenProxy = flag.Value };

                case "auth.users_file":
                    string? usersFile = ReadAdminFilePath(key, value, "/etc/windsock/users", "name the users file (create it with `windsock passwd FILE USER`), or remove the line to run without authentication");
                    return usersFile is null ? null : options with { UsersFile = usersFile };

                case "auth.pam_service":
                    string? pamService = ReadPamService(key, value);
                    return pamService is null ? null : options with { PamService = pamService };

                case "auth.groups_file":
                    string? groupsFile = ReadAdminFilePath(key, value, "/etc/windsock/groups", "name the groups file (lines of \"group: user1, user2\"), or remove the line if no rule names groups");
                    return groupsFile is null ? null : options with { GroupsFile = groupsFile };

                case "access.default_reply":
                case "access.default_log":
                case "access.notify_denied":
                    return ApplyAccess(options, name, entry);

                case "gssapi.keytab":
                case "gssapi.service_principal":
                case "gssapi.protection":
                    return ApplyGssapi(options, name, entry);

                case "ident.mode":
                    IdentMode? mode = ReadIdentMode(key, value);
                    return mode is null ? null : options with { IdentMode = mode.Value };

                case "ident.timeout":
                    TimeSpan? identTimeout = ReadDuration(key, name, value);
                    return identTimeout is null ? null : options with { IdentTimeout = identTimeout.Value };

                case "ident.on_unreachable":
                    HookCommand? onUnreachable = ReadHook(key, value);
                    return onUnreachable is null ? null : options with { IdentUnreachableHook = onUnreachable };

                case "ident.on_mismatch":
                    HookCommand? onMismatch = ReadHook(key, value);
                    return onMismatch is null ? null : options with { IdentMismatchHook = onMismatch };

                case "ident.port":
                    long? identPort = ReadInteger(key, value, 1, 65535, "a TCP port, normally 113");
                    return identPort is null ? null : options with { IdentPort = (int)identPort.Value };

                case "udp.advertised_address":
                    IPAddress? advertised = ReadAdvertisedAddress(key, value);
                    return advertised is null ? null : options with { Udp = options.Udp with { AdvertisedAddress = advertised } };

                case "udp.idle_timeout":
                    TimeSpan? udpIdle = ReadDuration(key, name, value);
                    return udpIdle is null ? null : options with { Udp = options.Udp with { IdleTimeout = udpIdle.Value } };

                case "udp.port_range":
                    PortRange? ports = ReadPortRange(key, value);
                    return ports is null ? null : options with { Udp = options.Udp with { PortRange = ports } };

                case "bind.address":
                    IPAddress? bindAddress = ReadAddress(key, value);
                    return bindAddress is null ? null : options with { Bind = options.Bind with { Address = bindAddress } };

                case "bind.port_range":
                    PortRange? range = ReadPortRange(key, value);
                    return range is null ? null : options with { Bind = options.Bind with { PortRange = range } };

                case "bind.peer_check":
                    PeerCheck? check = ReadPeerCheck(key, value);
                    return check is null ? null : options with { Bind = options.Bind with { PeerCheck = check.Value } };

                case "bind.timeout":
                    TimeSpan? bindTimeout = ReadDuration(key, name, value);
                    return bindTimeout is null ? null : options with { Bind = options.Bind with { Timeout = bindTimeout.Value } };

                default:
                    // ConfigSchema lists a key this switch does not handle: a bug here, not in the file.
                    throw new InvalidOperationException($"configuration key {key} has no reader");
            }
        }

        private List<IPEndPoint>? ReadListen(string key, ValueSyntax value)
        {
            List<(string Text, StringValueSyntax Node)>? items = ReadStringArray(key, value, "[\"127.0.0.1:1080\", \"[::1]:1080\"]");
            if (items is null)
            {
                return null;
            }

            if (items.Count == 0)
            {
                Problem(value, $"{key} is empty, so the server would listen nowhere", "list at least one ADDRESS:PORT, e.g. [\"127.0.0.1:1080\"]");
                return null;
            }

            var result = new List<IPEndPoint>();
            bool ok = true;
            foreach ((string text, StringValueSyntax node) in items)
            {
                if (!EndpointSyntax.TryParse(text, out IPEndPoint? endpoint, out ValueProblem problem))
                {
                    Problem(node, problem);
                    ok = false;
                }
                else if (result.Contains(endpoint))
                {
                    Problem(node, $"{key} lists {text} twice", "remove the duplicate");
                    ok = false;
                }
                else
                {
                    result.Add(endpoint);
                }
            }

            return ok ? result : null;
        }

        private List<IPNetwork>? ReadAllowedClients(string key, ValueSyntax value)
        {
            List<(string Text, StringValueSyntax Node)>? items = ReadStringArray(key, value, "[\"127.0.0.0/8\", \"::1/128\"]");
            if (items is null)
            {
                return null;
            }

            if (items.Count == 0)
            {
                Problem(value, $"{key} is empty, so every client would be refused", "list the client networks, e.g. [\"127.0.0.0/8\", \"::1/128\"]");
                return null;
            }

            var result = new List<IPNetwork>();
            bool ok = true;
            foreach ((string text, StringValueSyntax node) in items)
            {
                if (NetworkSyntax.TryParse(text, out IPNetwork network, out ValueProblem problem))
                {
                    result.Add(network);
                }
                else
                {
                    Problem(node, problem);
                    ok = false;
                }
            }

            return ok ? result : null;
        }

        private HookCommand? ReadHook(string key, ValueSyntax value)
        {
            if (value is not StringValueSyntax text)
            {
                WrongType(key, value, "a command line, e.g. \"/usr/bin/logger -t windsock '%u on %A'\"");
                return null;
            }

            if (!HookCommand.TryParse(text.Value ?? "", out HookCommand? command, out string? error))
            {
                Problem(value, $"{key}: {error}", "write the program's absolute path and its arguments; %-codes such as %u %A %Z are filled in per event");
                return null;
            }

            return command;
        }

        private IdentMode? ReadIdentMode(string key, ValueSyntax value)
        {
            string[] modes = ["off", "check", "require"];
            if (value is not StringValueSyntax text)
            {
                WrongType(key, value, "\"off\", \"check\" or \"require\"");
                return null;
            }

            switch (text.Value)
            {
                case "off":
                    return IdentMode.Off;
                case "check":
                    return IdentMode.Check;
                case "require":
                    return IdentMode.Require;
                default:
                    string? close = Suggestions.Closest(text.Value ?? "", modes);
                    Problem(value, $"unknown {key} \"{text.Value}\"", close is null ? "use \"off\", \"check\" or \"require\"" : $"did you mean \"{close}\"? use \"off\", \"check\" or \"require\"");
                    return null;
            }
        }

        private LogFormat? ReadLogFormat(string key, ValueSyntax value)
        {
            if (value is not StringValueSyntax text)
            {
                WrongType(key, value, "\"text\" or \"json\"");
                return null;
            }

            switch (text.Value)
            {
                case "text":
                    return LogFormat.Text;
                case "json":
                    return LogFormat.Json;
                default:
                    string? close = Suggestions.Closest(text.Value ?? "", ["text", "json"]);
                    Problem(value, $"unknown {key} \"{text.Value}\"", close is null ? "use \"text\" or \"json\"" : $"did you mean \"{close}\"? use \"text\" or \"json\"");
                    return null;
            }
        }

        private RelayMode? ReadRelayMode(string key, ValueSyntax value)
        {
            if (value is not StringValueSyntax text)
            {
                WrongType(key, value, "\"splice\" or \"copy\"");
                return null;
            }

            switch (text.Value)
            {
                case "splice":
                    return RelayMode.Splice;
                case "copy":
                    return RelayMode.Copy;
                default:
                    string? close = Suggestions.Closest(text.Value ?? "", ["splice", "copy"]);
                    Problem(value, $"unknown {key} \"{text.Value}\"", close is null ? "use \"splice\" or \"copy\"" : $"did you mean \"{close}\"? use \"splice\" or \"copy\"");
                    return null;
            }
        }

        private IPAddress? ReadAddress(string key, ValueSyntax value)
        {
            if (value is not StringValueSyntax text)
            {
                WrongType(key, value, "an IP address in quotes, e.g. \"192.0.2.10\"");
                return null;
            }

            if (!IPAddressSyntax.TryParse(text.Value ?? "", out IPAddress? address, out ValueProblem problem))
            {
                Problem(value, problem with { Message = $"{key}: {problem.Message}" });
                return null;
            }

            return address;
        }

        private PortRange? ReadPortRange(string key, ValueSyntax value)
        {
            if (value is not StringValueSyntax text)
            {
                WrongType(key, value, "a range in quotes, e.g. \"40000-40100\"");
                return null;
            }

            if (!PortRangeSyntax.TryParse(text.Value ?? "", out PortRange range, out ValueProblem problem))
            {
                Problem(value, problem with { Message = $"{key}: {problem.Message}" });
                return null;
            }

            return range;
        }

        private PeerCheck? ReadPeerCheck(string key, ValueSyntax value)
        {
            if (value is not StringValueSyntax text)
            {
                WrongType(key, value, "\"strict\" or \"loose\"");
                return null;
            }

            switch (text.Value)
            {
                case "strict":
                    return PeerCheck.Strict;
                case "loose":
                    return PeerCheck.Loose;
                default:
                    string? close = Suggestions.Closest(text.Value ?? "", ["strict", "loose"]);
                    Problem(value, $"unknown {key} \"{text.Value}\"", close is null ? "use \"strict\" or \"loose\"" : $"did you mean \"{close}\"? use \"strict\" or \"loose\"");
                    return null;
            }
        }

        private TimeSpan? ReadDuration(string key, string name, ValueSyntax value)
        {
            TimeSpan duration;
            switch (value)
            {
                case StringValueSyntax text:
                    if (!DurationSyntax.TryParse(text.Value ?? "", out duration, out ValueProblem problem))
                    {
                        Problem(value, problem with { Message = $"{key}: {problem.Message}" });
                        return null;
                    }

                    break;

                case IntegerValueSyntax seconds:
                    if (seconds.Value < 0)
                    {
                        Problem(value, $"{key} is negative", "write a positive number of seconds or a duration such as \"10s\"");
                        return null;
                    }

                    // Beyond a year the range check below rejects it anyway; this only avoids overflow.
                    duration = TimeSpan.FromSeconds(Math.Min(seconds.Value, 366L * 24 * 3600));
                    break;

                default:
                    WrongType(key, value, "a duration such as \"10s\", \"500ms\", \"5m\", \"2h\", or a whole number of seconds");
                    return null;
            }

            (TimeSpan min, TimeSpan max) = ConfigSchema.DurationLimits[key];
            if (duration < min || duration > max)
            {
                Problem(value, $"{key} must be between {DurationSyntax.Format(min)} and {DurationSyntax.Format(max)}", $"write a duration in that range, e.g. \"{DurationSyntax.Format(DefaultDuration(key))}\" (the default)");
                return null;
            }

            return duration;
        }

        private IPAddress? ReadAdvertisedAddress(string key, ValueSyntax value)
        {
            if (value is not StringValueSyntax text)
            {
                WrongType(key, value, "an IP address in quotes, e.g. \"203.0.113.10\"");
                return null;
            }

            if (!IPAddressSyntax.TryParse(text.Value ?? "", out IPAddress? address, out ValueProblem problem))
            {
                Problem(value, problem with { Message = $"{key}: {problem.Message}" });
                return null;
            }

            if (address.IsIPv4MappedToIPv6)
            {
                address = address.MapToIPv4();
            }

            if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
            {
                // RFC 1928 lets a server send 0.0.0.0, but clients disagree on what it means; say the real address.
                Problem(value, $"{key} is the unspecified address {address}, which clients cannot send to", "write the address clients reach this server on (the NAT's public address), or remove the line to advertise the address each client connected to");
                return null;
            }

            return address;
        }

        private long? ReadInteger(string key, ValueSyntax value, long min, long max, string unitHint)
        {
            if (value is not IntegerValueSyntax integer)
            {
                WrongType(key, value, $"a whole number of {unitHint} (without quotes)");
                return null;
            }

            if (integer.Value < min || integer.Value > max)
            {
                Problem(value, string.Create(CultureInfo.InvariantCulture, $"{key} is {integer.Value}, outside {min}..{max}"), string.Create(CultureInfo.InvariantCulture, $"write a number from {min} to {max}"));
                return null;
            }

            return integer.Value;
        }

        /// <summary>A file the server reads besides this one (users, groups), relative to this file's folder.</summary>
        private string? ReadAdminFilePath(string key, ValueSyntax value, string example, string emptyFix)
        {
            if (value is not StringValueSyntax text)
            {
                WrongType(key, value, $"a path in quotes, e.g. \"{example}\"");
                return null;
            }

            string path = text.Value ?? "";
            if (path.Trim().Length == 0)
            {
                Problem(value, $"{key} is empty", emptyFix);
                return null;
            }

            if (path.Contains('\0', StringComparison.Ordinal))
            {
                Problem(value, $"{key} contains a NUL character", "write a plain path");
                return null;
            }

            if (path.StartsWith('~'))
            {
                Problem(value, $"{key} starts with \"~\", which is not expanded here", "write the full path, e.g. \"/home/NAME/...\"");
                return null;
            }

            if (Path.IsPathFullyQualified(path))
            {
                return path;
            }

            // Relative to the configuration file, not the working directory, which differs between
            // an interactive run and a service manager.
            string folder = Path.GetDirectoryName(Path.GetFullPath(fileName)) ?? Directory.GetCurrentDirectory();
            return Path.GetFullPath(Path.Combine(folder, path));
        }

        /// <summary>
        /// A PAM service name is a file name in /etc/pam.d. Linux-PAM would quietly drop anything
        /// up to a '/', and fall back to the "other" service for a name with no file; only the
        /// second is the administrator's business, so the first is refused here.
        /// </summary>
        private string? ReadPamService(string key, ValueSyntax value)
        {
            const string Fix = "write the name of the service's file in /etc/pam.d, e.g. \"windsock\" (letters, digits, '.', '_' and '-'), or remove the line";
            if (value is not StringValueSyntax text)
            {
                WrongType(key, value, "a PAM service name in quotes, e.g. \"windsock\"");
                return null;
            }

            string name = text.Value ?? "";
            if (name.Length == 0)
            {
                Problem(value, $"{key} is empty", Fix);
                return null;
            }

            if (name.Length > 64 || name[0] == '.' || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                Problem(value, $"{key} \"{name}\" is not a PAM service name", Fix);
                return null;
            }

            return name;
        }

        private List<(string Text, StringValueSyntax Node)>? ReadStringArray(string key, ValueSyntax value, string example)
        {
            if (value is StringValueSyntax single)
            {
                Problem(value, $"{key} must be an array of strings, not a single string", $"put brackets around it: [\"{single.Value}\"]");
                return null;
            }

            if (value is not ArraySyntax array)
            {
                WrongType(key, value, $"an array of strings, e.g. {example}");
                return null;
            }

            var items = new List<(string, StringValueSyntax)>();
            bool ok = true;
            foreach (ArrayItemSyntax item in array.Items)
            {
                if (item.Value is StringValueSyntax text)
                {
                    items.Add((text.Value ?? "", text));
                }
                else if (item.Value is not null)
                {
                    Problem(item.Value, $"{key} items must be strings, not {Describe(item.Value)}", $"put the item in quotes, e.g. {example}");
                    ok = false;
                }
            }

            return ok ? items : null;
        }

        private void WrongType(string key, ValueSyntax value, string expected) =>
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
}
