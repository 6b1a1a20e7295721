using Windsock.Server.Sessions;

namespace Windsock.Server.Metrics;

/// <summary>
/// One open session as the status API sees it: its record (the one the request log writes) and the means to end
/// it. Each session has its own token, cancelled by <see cref="End"/> or when the server cuts every session.
/// </summary>
public sealed class LiveSession : IDisposable
{
    /// <summary>What the request log's end line says of a session an administrator ended.</summary>
    public const string EndedReason = "ended by the administrator (windsock status --end)";

    private readonly CancellationTokenSource _cut = new();
    private int _endedByAdministrator;

    internal LiveSession(SessionRecord record)
    {
        Record = record;
        Token = _cut.Token;
    }

    public SessionRecord Record { get; }

    /// <summary>The session's shutdown token: every wait of the session ends when it is cancelled.</summary>
    public CancellationToken Token { get; }

    public bool EndedByAdministrator => Volatile.Read(ref _endedByAdministrator) != 0;

    /// <summary>Ends the session on an administrator's request; false when it was already being ended.</summary>
    public bool End()
    {
        if (Interlocked.Exchange(ref _endedByAdministrator, 1) != 0)
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
            _cut.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // It ended by itself in the meantime.
        }
    }

    public void Dispose() => _cut.Dispose();
}
