using Microsoft.Extensions.Logging;

namespace Windsock.Server.Logging;

/// <summary>
/// Puts every diagnostic message through <see cref="LogText.Escape"/> before any provider writes
/// it, so a client's user name or host name in a message cannot move the cursor, recolour the
/// terminal, end the line or turn text around, whichever message carries it and whichever
/// console formatter prints it. Our own message templates hold no such characters, so only the
/// values filled into them change. Exceptions are passed on as they are (their text is ours or the
/// runtime's, never a client's).
/// </summary>
public sealed class EscapingLogger : ILogger
{
    private readonly ILogger _inner;

    private EscapingLogger(ILogger inner) => _inner = inner;

    /// <summary>The logger itself when it already escapes, else a wrapper around it.</summary>
    public static ILogger Wrap(ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        return logger as EscapingLogger ?? new EscapingLogger(logger);
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => _inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => _inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        _inner.Log(logLevel, eventId, state, exception, (s, e) => LogText.Escape(formatter(s, e)));
    }
}
