using Microsoft.Extensions.Logging;

namespace Windsock.Server.Configuration;

/// <summary>The <c>[log]</c> section: how much the diagnostic log says, and where the request log goes.</summary>
public sealed record LogOptions
{
    public static LogOptions Default { get; } = new();

    /// <summary>
    /// The least severe diagnostic written. Debug shows the lines rules with <c>log = "debug"</c> ask for and
    /// each dropped UDP datagram; changed by a reload.
    /// </summary>
    public LogLevel Level { get; init; } = LogLevel.Information;

    /// <summary>
    /// When set, the request log (and its notices) is appended to this file instead of standard output;
    /// the file is reopened on SIGUSR1, for logrotate. Needs a restart to change.
    /// </summary>
    public string? File { get; init; }
}
