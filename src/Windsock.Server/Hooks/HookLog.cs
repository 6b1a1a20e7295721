using Microsoft.Extensions.Logging;

namespace Windsock.Server.Hooks;

internal static partial class HookLog
{
    public static void Finished(ILogger logger, HookRunResult result)
    {
        switch (result.Outcome)
        {
            case HookRunOutcome.Exited when result.ExitCode == 0:
                Ran(logger, result.Command.Text);
                break;
            case HookRunOutcome.Exited:
                Failed(logger, result.Command.Text, $"exit code {result.ExitCode}{(result.Detail is null ? "" : ": " + result.Detail)}");
                break;
            default:
                Failed(logger, result.Command.Text, $"{result.Outcome}: {result.Detail}");
                break;
        }
    }

    [LoggerMessage(20, LogLevel.Debug, "Hook ran: {Command}")]
    private static partial void Ran(ILogger logger, string command);

    [LoggerMessage(21, LogLevel.Warning, "Hook {Command} did not complete: {Detail}")]
    private static partial void Failed(ILogger logger, string command, string detail);
}
