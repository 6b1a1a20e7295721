using System.Globalization;

namespace Windsock.Client.Routing;

/// <summary>
/// The routing file (or ALL_PROXY) cannot be used. The message is one line that starts with
/// "FILE:LINE:COLUMN: " when the position is known, then what is wrong and how to fix it.
/// </summary>
public sealed class RoutingFileException : Exception
{
    /// <summary>An exception with a generic message: the routing file cannot be used.</summary>
    public RoutingFileException()
        : this("The routing file cannot be used.")
    {
    }

    /// <summary>An exception with <paramref name="message"/>.</summary>
    /// <param name="message">What went wrong.</param>
    public RoutingFileException(string message)
        : base(message)
    {
        File = string.Empty;
    }

    /// <summary>An exception with <paramref name="message"/> caused by <paramref name="innerException"/>.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause, or null.</param>
    public RoutingFileException(string message, Exception? innerException)
        : base(message, innerException)
    {
        File = string.Empty;
    }

    /// <summary>A problem at a position of a routing file; the message is "FILE:LINE:COLUMN: PROBLEM".</summary>
    /// <param name="file">The file, or the variable (ALL_PROXY), the problem is in.</param>
    /// <param name="line">From 1; 0 when not known.</param>
    /// <param name="column">From 1; 0 when not known.</param>
    /// <param name="problem">What is wrong and how to fix it.</param>
    /// <param name="innerException">The cause, or null.</param>
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
