namespace Windsock.Interop.Tests.Infrastructure;

/// <summary>
/// Upper bounds for waiting on events. Generous because the suite must stay steady on a busy
/// 2-core machine; a healthy run finishes far below them.
/// </summary>
public static class Timeouts
{
    /// <summary>Process start to every "listening on" line (cold dotnet start, JIT, parallel tests).</summary>
    public static readonly TimeSpan Start = TimeSpan.FromSeconds(60);

    /// <summary>One client run: handshake plus a multi-MiB transfer.</summary>
    public static readonly TimeSpan Client = TimeSpan.FromSeconds(90);

    /// <summary>A log line that should follow an event we already saw.</summary>
    public static readonly TimeSpan LogLine = TimeSpan.FromSeconds(20);

    /// <summary>SIGTERM to process exit.</summary>
    public static readonly TimeSpan Stop = TimeSpan.FromSeconds(20);
}
