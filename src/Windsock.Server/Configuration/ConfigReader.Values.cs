using System.Globalization;
using System.Net;
using Tomlyn.Syntax;
using Windsock.Policy;
using Windsock.Server.Hooks;
using Windsock.Server.Relay;

namespace Windsock.Server.Configuration;

/// <summary>The kinds of value the sections share: addresses, networks, durations, integers, paths, keywords.</summary>
internal sealed partial class ConfigReader
{
    internal List<IPEndPoint>? ReadListen(string key, ValueSyntax value)
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
            if (InterfaceListen.TryExpand(text, out var onInterface, out ValueProblem? interfaceProblem))
            {
                if (interfaceProblem is { } bad)
                {
                    Problem(node, bad);
                    ok = false;
                }
                else
                {
                    result.AddRange(onInterface!.Where(e => !result.Contains(e)));
                }

                continue;
            }

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

    internal List<IPNetwork>? ReadAllowedClients(string key, ValueSyntax value)
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
            if (AddressValues.TryParseNetwork(text, out IPNetwork network, out ValueProblem problem))
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

    internal HookCommand? ReadHook(string key, ValueSyntax value)
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

    internal IdentMode? ReadIdentMode(string key, ValueSyntax value)
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

    internal LogFormat? ReadLogFormat(string key, ValueSyntax value)
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

    internal RelayMode? ReadRelayMode(string key, ValueSyntax value)
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

    internal IPAddress? ReadAddress(string key, ValueSyntax value)
    {
        if (value is not StringValueSyntax text)
        {
            WrongType(key, value, "an IP address in quotes, e.g. \"192.0.2.10\"");
            return null;
        }

        if (!AddressValues.TryParseAddress(text.Value ?? "", out IPAddress? address, out ValueProblem problem))
        {
            Problem(value, problem with { Message = $"{key}: {problem.Message}" });
            return null;
        }

        return address;
    }

    internal PortRange? ReadPortRange(string key, ValueSyntax value)
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

    internal PeerCheck? ReadPeerCheck(string key, ValueSyntax value)
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

    internal TimeSpan? ReadDuration(string key, string name, ValueSyntax value)
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

    internal IPAddress? ReadAdvertisedAddress(string key, ValueSyntax value)
    {
        if (value is not StringValueSyntax text)
        {
            WrongType(key, value, "an IP address in quotes, e.g. \"203.0.113.10\"");
            return null;
        }

        if (!AddressValues.TryParseAddress(text.Value ?? "", out IPAddress? address, out ValueProblem problem))
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

    internal long? ReadInteger(string key, ValueSyntax value, long min, long max, string unitHint)
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
    internal string? ReadAdminFilePath(string key, ValueSyntax value, string example, string emptyFix)
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
    internal string? ReadPamService(string key, ValueSyntax value)
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

    internal List<(string Text, StringValueSyntax Node)>? ReadStringArray(string key, ValueSyntax value, string example)
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
}
