using Microsoft.Extensions.Logging;

namespace Windsock.Cli;

/// <summary>The diagnostic log's level in force: <c>[log] level</c> at start, changed by a reload without a restart.</summary>
internal static class LogLevelSwitch
{
    private static int _level = (int)LogLevel.Information;

    public static LogLevel Current
    {
        get => (LogLevel)Volatile.Read(ref _level);
        set => Volatile.Write(ref _level, (int)value);
    }

    /// <summary>The logger factory's filter: every provider and category asks it.</summary>
    public static bool Allows(LogLevel level) => level != LogLevel.None && level >= Current;
}
