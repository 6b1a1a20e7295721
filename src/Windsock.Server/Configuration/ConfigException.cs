namespace Windsock.Server.Configuration;

/// <summary>
/// A mistake in a file the administrator wrote (the configuration or the users file), located
/// where they have to look and paired with how to fix it. The server refuses to start on one,
/// and a reload keeps the running configuration.
/// </summary>
/// <remarks>
/// <see cref="ToString"/> is the whole diagnostic in the compiler-like shape editors and grep
/// understand (<c>file:line:col: error: message. fix: ...</c>), so callers print it as is.
/// </remarks>
public sealed class ConfigException : Exception
{
    public ConfigException(string fileName, int line, int column, string message, string fix, Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(fix);
        ArgumentOutOfRangeException.ThrowIfNegative(line);
        ArgumentOutOfRangeException.ThrowIfNegative(column);
        FileName = fileName;
        Line = line;
        Column = column;
        Fix = fix;
    }

    /// <summary>For a problem with the file as a whole (missing, unreadable, not UTF-8).</summary>
    public ConfigException(string fileName, string message, string fix, Exception? innerException = null)
        : this(fileName, 0, 0, message, fix, innerException)
    {
    }

    public ConfigException()
        : this("windsock", "invalid configuration", "check the configuration")
    {
    }

    public ConfigException(string message)
        : this("windsock", message, "check the configuration")
    {
    }

    public ConfigException(string message, Exception innerException)
        : this("windsock", message, "check the configuration", innerException)
    {
    }

    /// <summary>The file as the administrator named it, or the flag (e.g. <c>--listen</c>) a setting came from.</summary>
    public string FileName { get; }

    /// <summary>1-based; 0 when the problem is not at one place in the file.</summary>
    public int Line { get; }

    /// <summary>1-based; 0 when <see cref="Line"/> is 0.</summary>
    public int Column { get; }

    /// <summary>What the administrator should do, phrased as an instruction.</summary>
    public string Fix { get; }

    /// <summary><c>file:line:col</c>, or just the file when there is no position.</summary>
    public string Location => Line > 0 ? ConfigOrigin.Format(FileName, Line, Column) : FileName;

    public override string ToString() => $"{Location}: error: {Message}. fix: {Fix}";
}
