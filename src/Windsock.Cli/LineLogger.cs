using Microsoft.Extensions.Logging;

namespace Windsock.Cli;

/// <summary>
/// The client tools' --verbose: each entry of the client library's logger as one line on a writer
/// (standard error), after a prefix that names the command, as the tools' other messages are written.
/// </summary>
internal sealed class LineLogger(TextWriter writer, string prefix) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        writer.WriteLine(prefix + formatter(state, exception));
    }
}
