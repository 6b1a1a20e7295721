namespace Windsock.Server.Sessions;

/// <summary>
/// Once the server has gone quiet after a burst of sessions, one full compacting collection that gives the memory the
/// GC kept committed back to the system (<see cref="GCCollectionMode.Aggressive"/>); when, is
/// <see cref="QuietCollectionPolicy"/>'s decision, checked once a second.
/// <para>
/// Why: every handshake leaves about 6.5 KB of garbage, and the GC's gen0 budget (up to 16 MiB here) stays committed
/// and touched, together with the free space left in the regions that the survivors were promoted into, until the next
/// collection, which a server whose sessions sit idle never runs. At 9,000 idle sessions that was a third of the
/// server's RSS (docs/benchmarks.md, "Idle sessions, round three"). A smaller gen0 budget
/// (<c>System.GC.Gen0MaxBudget</c> of 1 or 2 MiB) kept less committed but made every connection pay: at 64 clients ten
/// to fifteen times the collections per connection and about 10 µs of pause per connection instead of 1; this costs
/// nothing while connections come, and one full collection (tens of milliseconds at 9,000 sessions) once they stop.
/// </para>
/// <para>
/// Started by the first session; process-wide (a collection is). <c>WINDSOCK_QUIET_COLLECTION=0</c> in the server's
/// environment, read at start, turns it off.
/// </para>
/// </summary>
internal static class QuietCollection
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private static readonly QuietCollectionPolicy Policy = new();
    private static readonly Lock Gate = new();
    private static ITimer? _timer;
    private static int _ticking;
    private static long _collections;

    /// <summary>On unless <c>WINDSOCK_QUIET_COLLECTION=0</c>.</summary>
    internal static bool Enabled { get; } = Environment.GetEnvironmentVariable("WINDSOCK_QUIET_COLLECTION") != "0";

    /// <summary>Collections run since the process began: what tests read to see one run.</summary>
    internal static long Collections => Interlocked.Read(ref _collections);

    /// <summary>A session started: the checks run from now on (a read and nothing more once they do).</summary>
    public static void Arm()
    {
        if (Volatile.Read(ref _timer) is not null || !Enabled)
        {
            return;
        }

        lock (Gate)
        {
            if (_timer is null)
            {
                // The count starts here, before the burst this session belongs to. Started at the first tick a second
                // later, it took a burst shorter than that (1,000 sessions open in 0.35 s) for where it starts, found
                // nothing allocated since, and never gave that burst's memory back.
                Policy.Tick(GC.GetTotalAllocatedBytes());
                _timer = TimeProvider.System.CreateTimer(static _ => Tick(), null, Interval, Interval);
            }
        }
    }

    /// <summary>True once a session has started the checks.</summary>
    internal static bool Armed => Volatile.Read(ref _timer) is not null;

    /// <summary>
    /// The collection itself: every generation, compacted, and the free regions decommitted (what Aggressive adds to a
    /// full collection), then malloc's arenas trimmed. Blocking: the loop threads wait in epoll_wait outside managed
    /// code and are not held up unless they run a session at that moment.
    /// </summary>
    internal static void CollectNow()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

        // What the runtime freed in malloc's arenas goes back too (the JIT's memory for what it compiled under the burst).
        NativeHeapTrim.Trim();
        Interlocked.Increment(ref _collections);
    }

    private static void Tick()
    {
        // One tick at a time: a tick that finds a collection running (timer callbacks may overlap) does nothing.
        if (Interlocked.Exchange(ref _ticking, 1) != 0)
        {
            return;
        }

        try
        {
            if (Policy.Tick(GC.GetTotalAllocatedBytes()))
            {
                CollectNow();
                Policy.Collected(GC.GetTotalAllocatedBytes());
            }
        }
        finally
        {
            Volatile.Write(ref _ticking, 0);
        }
    }
}
