using Microsoft.Extensions.Logging;
using Tomlyn.Syntax;

namespace Windsock.Server.Configuration.Sections;

/// <summary><c>[log]</c>: the diagnostic log's level and the request log's file (docs/configuration.md#log).</summary>
internal static class LogSection
{
    private static readonly (string Name, LogLevel Level)[] Levels =
    [
        ("trace", LogLevel.Trace), ("debug", LogLevel.Debug), ("info", LogLevel.Information), ("warning", LogLevel.Warning), ("error", LogLevel.Error),
    ];

    public static ConfigSection Schema { get; } = new(ConfigSchema.Log,
    [
        new("level", static (r, key, _, e, o) => ReadLevel(r, key, e.Value) is { } level ? o with { Log = o.Log with { Level = level } } : null),
        new("file", static (r, key, _, e, o) =>
            r.ReadAdminFilePath(key, e.Value, "/var/log/windsock/requests.log", "write a path, or remove the key to log to standard output") is { } path
                ? o with { Log = o.Log with { File = path } } : null),
    ]);

    /// <summary>The level's name as the configuration writes it ("info"), for messages.</summary>
    public static string Name(LogLevel level) => Levels.FirstOrDefault(l => l.Level == level).Name ?? level.ToString().ToLowerInvariant();

    private static LogLevel? ReadLevel(ConfigReader reader, string key, ValueSyntax value)
    {
        string names = string.Join(", ", Levels.Select(l => $"\"{l.Name}\""));
        if (value is not StringValueSyntax text)
        {
            reader.WrongType(key, value, $"one of {names}");
            return null;
        }

        string given = text.Value ?? "";
        foreach (var (name, level) in Levels)
        {
            if (string.Equals(name, given, StringComparison.Ordinal) || (level == LogLevel.Information && given == "information"))
            {
                return level;
            }
        }

        reader.InvalidValue(value, $"unknown {key} \"{given}\"", $"write one of {names}");
        return null;
    }
}
