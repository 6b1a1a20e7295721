namespace Windsock.Server.Hooks;

/// <summary>How one hook run ended.</summary>
public enum HookRunOutcome
{
    Exited,
    TimedOut,
    FailedToStart,
    RateLimited,
    QueueFull,
}

/// <summary>A finished (or refused) hook run, for the diagnostics log and for tests.</summary>
public sealed record HookRunResult(HookCommand Command, IReadOnlyList<string> Arguments, HookRunOutcome Outcome, int? ExitCode, string? Detail);
