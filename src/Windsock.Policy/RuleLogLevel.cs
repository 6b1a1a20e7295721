namespace Windsock.Policy;

/// <summary>
/// The level at which the request log writes a decision. Its own small enum so the policy library
/// needs no logging package; the server maps it to Microsoft.Extensions.Logging.LogLevel.
/// </summary>
public enum RuleLogLevel
{
    Debug,
    Info,
    Warning,
    Error,
}

public static class RuleLogLevels
{
    public static bool TryParse(string text, out RuleLogLevel level, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        error = null;
        switch (text)
        {
            case "debug": level = RuleLogLevel.Debug; return true;
            case "info": level = RuleLogLevel.Info; return true;
            case "warning": level = RuleLogLevel.Warning; return true;
            case "error": level = RuleLogLevel.Error; return true;
            default:
                level = RuleLogLevel.Info;
                error = $"\"{text}\" is not a log level; write \"debug\", \"info\", \"warning\" or \"error\"";
                return false;
        }
    }

    public static string Name(this RuleLogLevel level) => level switch
    {
        RuleLogLevel.Debug => "debug",
        RuleLogLevel.Info => "info",
        RuleLogLevel.Warning => "warning",
        _ => "error",
    };
}
