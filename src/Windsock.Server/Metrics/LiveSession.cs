using Windsock.Server.Sessions;

namespace Windsock.Server.Metrics;

/// <summary>
/// One open session as the status API sees it: its record (the one the request log writes) and the means to end
/// it. The entry is itself the source of the session's shutdown token (<see cref="CancellationTokenSource.Token"/>),
/// cancelled by <see cref="End"/> or when the server cuts every session: one object per open session instead of an
/// entry, a token source and a dictionary node (every idle session keeps it).
/// </summary>
public sealed class LiveSession : CancellationTokenSource
{
    /// <summary>What the request log's end line says of a session an administrator ended.</summary>
    public const string EndedReason = "ended by the administrator (windsock status --end)";

    internal LiveSession(SessionRecord record)
    {
        Record = record;
    }

    public SessionRecord Record { get; }

    public bool EndedByAdministrator => Record.EndedByAdministrator;

    // The open sessions' list (LiveSessions) runs through the entries themselves, oldest first.
    internal LiveSession? Previous { get; set; }

    internal LiveSession? Next { get; set; }

    /// <summary>Ends the session on an administrator's request; false when it was already being ended.</summary>
    public bool End()
    {
        if (!Record.MarkEndedByAdministrator())
        {
            return false;
        }

        Cut();
        return true;
    }

    /// <summary>Ends the session now (server shutdown after the grace time).</summary>
    internal void Cut()
    {
        try
        {
            Cancel();
        }
        catch (ObjectDisposedException)
        {
            // It ended by itself in the meantime.
        }
    }
}
