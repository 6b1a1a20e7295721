namespace Windsock.Server.Authentication;

/// <summary>
/// Recent login failures per key (a source, a user name) with an exponential delay once the free
/// failures are spent. Failures decay (one is forgiven per <see cref="LoginThrottleOptions.ForgiveOneFailureAfter"/>),
/// so a site's occasional typos never add up. Attempts still being verified count as failures until
/// they end, so a burst of pipelined attempts is spread out instead of all landing before the first
/// failure is known. The table holds at most <see cref="LoginThrottleOptions.MaxEntries"/> keys; when
/// full it forgets quiet entries first, then the one with the fewest failures.
/// </summary>
internal sealed class FailureTable<TKey>
    where TKey : notnull
{
    private readonly Dictionary<TKey, Entry> _entries;
    private readonly int _free;
    private readonly LoginThrottleOptions _options;

    public FailureTable(int freeFailures, LoginThrottleOptions options, IEqualityComparer<TKey>? comparer = null)
    {
        _free = freeFailures;
        _options = options;
        _entries = new Dictionary<TKey, Entry>(comparer);
    }

    public int Count
    {
        get
        {
            lock (_entries)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>
    /// Starts an attempt: how long it must wait, how many failures stand against the key, and whether this
    /// is the first delay since the key was last quiet (to be logged once).
    /// </summary>
    public (TimeSpan Wait, int Failures, bool FirstDelay) Begin(TKey key, DateTimeOffset now)
    {
        lock (_entries)
        {
            if (!TryGet(key, now, out var entry))
            {
                return (TimeSpan.Zero, 0, false);
            }

            int failures = Failures(entry.Score);
            var until = entry.BlockedUntil;
            int assumed = failures + entry.Pending;
            if (entry.Pending > 0 && assumed >= _free)
            {
                var scheduled = now + Delay(assumed);
                until = scheduled > until ? scheduled : until;
            }

            var wait = until > now ? until - now : TimeSpan.Zero;
            bool first = wait > TimeSpan.Zero && !entry.Notified;
            _entries[key] = entry with { Pending = entry.Pending + 1, Notified = entry.Notified || first };
            return (wait, failures, first);
        }
    }

    /// <summary>
    /// Ends an attempt begun with <see cref="Begin"/>: Failed adds a failure; Accepted clears the key
    /// when <paramref name="successClears"/> (a user name, not a source); NotTried only ends it.
    /// </summary>
    public void End(TKey key, DateTimeOffset now, LoginOutcome outcome, bool successClears)
    {
        lock (_entries)
        {
            if (!_entries.TryGetValue(key, out var entry))
            {
                return; // untracked (the table was full), or forgotten meanwhile
            }

            entry = Decayed(entry, now) with { Pending = Math.Max(0, entry.Pending - 1) };
            if (outcome == LoginOutcome.Failed)
            {
                double score = entry.Score + 1;
                var blocked = entry.BlockedUntil;
                if (Failures(score) >= _free)
                {
                    var next = now + Delay(Failures(score));
                    blocked = next > blocked ? next : blocked;
                }

                entry = entry with { Score = score, BlockedUntil = blocked };
            }
            else if (outcome == LoginOutcome.Accepted && successClears)
            {
                entry = entry with { Score = 0, BlockedUntil = DateTimeOffset.MinValue };
            }

            _entries[key] = entry;
        }
    }

    /// <summary>The delay after <paramref name="failures"/> failures: none within the free ones, then doubling to the maximum.</summary>
    private TimeSpan Delay(int failures)
    {
        int doublings = Math.Min(failures - _free, 30);
        if (doublings < 0)
        {
            return TimeSpan.Zero;
        }

        double ticks = _options.FirstDelay.Ticks * Math.Pow(2, doublings);
        return ticks >= _options.MaxDelay.Ticks ? _options.MaxDelay : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>The key's entry, decayed to now; made when absent unless the table is full of busier keys.</summary>
    private bool TryGet(TKey key, DateTimeOffset now, out Entry entry)
    {
        if (_entries.TryGetValue(key, out entry))
        {
            entry = Decayed(entry, now);
            if (IsQuiet(entry, now))
            {
                // Quiet again: a new episode, logged anew when it is delayed.
                entry = new Entry(0, now, 0, DateTimeOffset.MinValue, false);
            }

            return true;
        }

        if (_entries.Count >= _options.MaxEntries && !MakeRoom(now))
        {
            return false;
        }

        entry = new Entry(0, now, 0, DateTimeOffset.MinValue, false);
        return true;
    }

    /// <summary>Forgets every quiet entry, or else the one with the fewest failures and nothing in flight.</summary>
    private bool MakeRoom(DateTimeOffset now)
    {
        var quiet = _entries.Where(pair => IsQuiet(Decayed(pair.Value, now), now)).Select(pair => pair.Key).ToList();
        foreach (var key in quiet)
        {
            _entries.Remove(key);
        }

        if (_entries.Count < _options.MaxEntries)
        {
            return true;
        }

        var idle = _entries.Where(pair => pair.Value.Pending == 0).ToList();
        if (idle.Count == 0)
        {
            return false;
        }

        _entries.Remove(idle.MinBy(pair => Decayed(pair.Value, now).Score).Key);
        return true;
    }

    /// <summary>Failures that still count: a decaying score of 1.98 is two failures, one being forgiven.</summary>
    private static int Failures(double score) => (int)Math.Ceiling(score);

    private static bool IsQuiet(Entry entry, DateTimeOffset now) => entry.Score <= 0 && entry.Pending == 0 && entry.BlockedUntil <= now;

    private Entry Decayed(Entry entry, DateTimeOffset now)
    {
        var elapsed = now - entry.Updated;
        if (elapsed <= TimeSpan.Zero)
        {
            return entry;
        }

        double forgiven = elapsed / _options.ForgiveOneFailureAfter;
        return entry with { Score = Math.Max(0, entry.Score - forgiven), Updated = now };
    }

    /// <param name="Score">Recent failures, decaying.</param>
    /// <param name="Updated">When the score was last decayed.</param>
    /// <param name="Pending">Attempts begun and not ended.</param>
    /// <param name="BlockedUntil">No attempt starts before this.</param>
    /// <param name="Notified">The delay of this episode has been logged.</param>
    private readonly record struct Entry(double Score, DateTimeOffset Updated, int Pending, DateTimeOffset BlockedUntil, bool Notified);
}
