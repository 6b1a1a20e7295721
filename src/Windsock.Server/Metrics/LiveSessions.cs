using System.Collections.Concurrent;
using Windsock.Server.Sessions;

namespace Windsock.Server.Metrics;

/// <summary>The sessions open now, by id: what <c>windsock status</c> lists and ends.</summary>
public sealed class LiveSessions
{
    private readonly ConcurrentDictionary<long, LiveSession> _sessions = new();

    public int Count => _sessions.Count;

    internal LiveSession Add(SessionRecord record)
    {
        var session = new LiveSession(record);
        _sessions[record.Id] = session;
        return session;
    }

    internal void Remove(LiveSession session) => _sessions.TryRemove(new KeyValuePair<long, LiveSession>(session.Record.Id, session));

    public LiveSession? Find(long id) => _sessions.GetValueOrDefault(id);

    /// <summary>The open sessions, oldest first.</summary>
    public IReadOnlyList<LiveSession> Snapshot()
    {
        var list = _sessions.Values.ToList();
        list.Sort((a, b) => a.Record.Id.CompareTo(b.Record.Id));
        return list;
    }

    /// <summary>
    /// Called as a session writes its end line: a session an administrator ended says so, whatever its command
    /// made of the cancellation ("server shutdown").
    /// </summary>
    public void Finishing(SessionRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (_sessions.TryGetValue(record.Id, out var session) && session.EndedByAdministrator)
        {
            record.EndReason = LiveSession.EndedReason;
        }
    }

    /// <summary>Ends every open session (shutdown after the grace time).</summary>
    internal void CutAll()
    {
        foreach (var session in _sessions.Values)
        {
            session.Cut();
        }
    }
}
