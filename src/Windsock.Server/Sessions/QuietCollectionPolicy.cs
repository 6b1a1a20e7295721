namespace Windsock.Server.Sessions;

/// <summary>
/// When <see cref="QuietCollection"/> collects, decided from the process's allocated-bytes count read once a tick, with
/// no I/O and no clock of its own (a tick is the caller's interval), so that tests drive it tick by tick.
/// <para>
/// Quiet is what the GC's own budget cannot tell: a server that allocates (accepts connections, handshakes) gets its
/// memory back through its ordinary collections, and a collection forced then would only add pauses; a server whose
/// allocations have stopped (its sessions idle, or only relaying, which allocates nothing) runs no collection at all and
/// keeps what the last burst left committed. So: a collection once allocation has stayed below
/// <see cref="QuietBytesPerTick"/> for <see cref="QuietTicks"/> ticks in a row, if at least <see cref="WorthBytes"/>
/// were allocated since the last one (less leaves too little committed to be worth a full collection), and never sooner
/// than <see cref="MinTicksBetween"/> ticks after it (a server that keeps trickling in connections pays one full
/// collection per interval at most).
/// </para>
/// </summary>
internal sealed class QuietCollectionPolicy
{
    /// <summary>Below this much allocated in one tick the tick is quiet (about 40 handshakes' worth).</summary>
    public const long QuietBytesPerTick = 256 * 1024;

    /// <summary>Quiet ticks in a row before a collection: a pause between two bursts is not yet quiet.</summary>
    public const int QuietTicks = 2;

    /// <summary>Allocated since the last collection, at the least, for one to be worth it.</summary>
    public const long WorthBytes = 4 * 1024 * 1024;

    /// <summary>Ticks from one collection to the next, at the least.</summary>
    public const int MinTicksBetween = 30;

    private long _lastAllocated = -1;
    private long _allocatedAtCollection;
    private int _quietTicks;
    private int _ticksSinceCollection = MinTicksBetween;

    /// <summary>One tick: <paramref name="allocated"/> is the process's allocated bytes so far. True to collect now.</summary>
    public bool Tick(long allocated)
    {
        if (_lastAllocated < 0)
        {
            // The first reading: what came before it was not seen, so it counts as neither quiet nor busy.
            _lastAllocated = allocated;
            _allocatedAtCollection = allocated;
            return false;
        }

        long sinceLastTick = allocated - _lastAllocated;
        _lastAllocated = allocated;
        _quietTicks = sinceLastTick < QuietBytesPerTick ? _quietTicks + 1 : 0;
        if (_ticksSinceCollection < MinTicksBetween)
        {
            _ticksSinceCollection++;
        }

        return _quietTicks >= QuietTicks && _ticksSinceCollection >= MinTicksBetween && allocated - _allocatedAtCollection >= WorthBytes;
    }

    /// <summary>The collection <see cref="Tick"/> asked for ran; <paramref name="allocated"/> is the count after it.</summary>
    public void Collected(long allocated)
    {
        _lastAllocated = allocated;
        _allocatedAtCollection = allocated;
        _ticksSinceCollection = 0;
    }
}
