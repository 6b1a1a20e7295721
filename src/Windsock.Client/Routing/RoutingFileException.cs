using System.Globalization;

namespace Windsock.Client.Routing;

/// <summary>
/// The routing file (or ALL_PROXY) cannot be used. The message is one line that starts with
/// "FILE:LINE:COLUMN: " when the position is known, then what is wrong and how to fix it.
/// </summary>
public sealed class RoutingFileException : Exception
{
    public RoutingFileException()
        : this("The routing file cannot be used.")
    {
    }

    public RoutingFileException(string message)
        : base(message)
    {
        File = string.Empty;
    }

    public RoutingFileException(string message, Exception? innerException)
        : base(message, innerException)
    {
        File = string.Empty;
    }

    public RoutingFileException(string file, int line, int column, string problem, Exception? innerException = null)
        : base(Locate(file, line, column) + problem, innerException)
    {
        File = file ?? string.Empty;
        Line = line;
        Column = column;
        Problem = problem;
    }

    /// <summary>The file, or the variable (ALL_PROXY) the problem is in.</summary>
    public string File { get; }

    /// <summary>From 1; 0 when not known.</summary>
    public int Line { get; }

    /// <summary>From 1; 0 when not known.</summary>
    public int Column { get; }

    /// <summary>The message without its position.</summary>
    public string? Problem { get; }

    private static string Locate(string file, int line, int column) => line > 0
        ? string.Create(CultureInfo.InvariantCulture, $"{file}:{line}:{column}: ")
        : string.IsNullOrEmpty(file) ? "" : file + ": ";
}
