using Windsock.Server.Sessions;

namespace Windsock.Server.Metrics;

/// <summary>
/// The sessions open now: what <c>windsock status</c> lists and ends. A list through the entries themselves, in the
/// order the sessions started (ids only grow, so that is oldest first): adding and removing are constant time and
/// allocate nothing beyond the entry, looking one up by id walks the list (the admin API does, not the sessions).
/// </summary>
public sealed class LiveSessions
{
    private readonly Lock _gate = new();
    private LiveSession? _first;
    private LiveSession? _last;
    private int _count;

    public int Count => Volatile.Read(ref _count);

    internal LiveSession Add(SessionRecord record)
    {
        // Once sessions come, the memory a burst of them leaves committed is given back when they stop coming.
        QuietCollection.Arm();
        var session = new LiveSession(record);
        lock (_gate)
        {
            session.Previous = _last;
            if (_last is null)
            {
                _first = session;
            }
            else
            {
                _last.Next = session;
            }

            _last = session;
            _count++;
        }

        return session;
    }

    internal void Remove(LiveSession session)
    {
        lock (_gate)
        {
            if (session.Previous is null && !ReferenceEquals(_first, session))
            {
                return; // not listed (removed already)
            }

            if (session.Previous is { } previous)
            {
                previous.Next = session.Next;
            }
            else
            {
                _first = session.Next;
            }

            if (session.Next is { } next)
            {
                next.Previous = session.Previous;
            }
            else
            {
                _last = session.Previous;
            }

            session.Previous = null;
            session.Next = null;
            _count--;
        }
    }

    public LiveSession? Find(long id)
    {
        lock (_gate)
        {
            for (var session = _first; session is not null; session = session.Next)
            {
                if (session.Record.Id == id)
                {
                    return session;
                }
            }

            return null;
        }
    }

    /// <summary>The open sessions, oldest first.</summary>
    public IReadOnlyList<LiveSession> Snapshot()
    {
        lock (_gate)
        {
            var list = new List<LiveSession>(_count);
            for (var session = _first; session is not null; session = session.Next)
            {
                list.Add(session);
            }

            // Ids are given in order, but two accept loops may add in the other order: sorted, as the API promises.
            list.Sort(static (a, b) => a.Record.Id.CompareTo(b.Record.Id));
            return list;
        }
    }

    /// <summary>
    /// Called as a session writes its end line: a session an administrator ended says so, whatever its command
    /// made of the cancellation ("server shutdown").
    /// </summary>
    public void Finishing(SessionRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.EndedByAdministrator)
        {
            record.EndReason = LiveSession.EndedReason;
        }
    }

    /// <summary>Ends every open session (shutdown after the grace time).</summary>
    internal void CutAll()
    {
        // Cancelling runs the sessions' callbacks: outside the lock, which their ends take to remove themselves.
        foreach (var session in Snapshot())
        {
            session.Cut();
        }
    }
}
