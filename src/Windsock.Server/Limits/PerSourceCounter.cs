namespace Windsock.Server.Limits;

/// <summary>
/// How many of one kind of thing (unauthenticated sessions, BIND listeners) each source holds at
/// once, with a cap. A source appears in the table only while it holds at least one, so memory is
/// bounded by what is open, not by how many sources ever came.
/// </summary>
public sealed class PerSourceCounter
{
    private readonly Dictionary<SourceKey, Entry> _held = [];

    /// <param name="name">The limit's name in log reasons, e.g. <c>bind_per_source</c>.</param>
    /// <param name="limit">How many one source may hold at once.</param>
    public PerSourceCounter(string name, int limit)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        Name = name;
        Limit = limit;
    }

    public string Name { get; }

    public int Limit { get; }

    /// <summary>How many <paramref name="source"/> holds now.</summary>
    public int HeldBy(SourceKey source)
    {
        lock (_held)
        {
            return _held.TryGetValue(source, out var entry) ? entry.Count : 0;
        }
    }

    /// <summary>
    /// Takes one for <paramref name="source"/>, or refuses at the cap. A refusal says whether it is
    /// the first since the source last held nothing, so the diagnostic log says so once, not per attempt.
    /// </summary>
    public Admission TryAcquire(SourceKey source)
    {
        lock (_held)
        {
            _held.TryGetValue(source, out var entry);
            if (entry.Count >= Limit)
            {
                bool first = !entry.Refused;
                _held[source] = entry with { Refused = true };
                return new Admission(null, $"limit {Name}={Limit} reached for {source}", first);
            }

            _held[source] = entry with { Count = entry.Count + 1 };
            return new Admission(new Lease(this, source), null, false);
        }
    }

    private void Release(SourceKey source)
    {
        lock (_held)
        {
            var entry = _held[source];
            if (entry.Count == 1)
            {
                _held.Remove(source);
            }
            else
            {
                _held[source] = entry with { Count = entry.Count - 1 };
            }
        }
    }

    private readonly record struct Entry(int Count, bool Refused);

    /// <summary>The outcome of <see cref="TryAcquire"/>: a lease to dispose when done, or why not.</summary>
    /// <param name="Lease">Null when refused.</param>
    /// <param name="Refusal">The reason for the request log, e.g. <c>limit bind_per_source=32 reached for 192.0.2.7</c>.</param>
    /// <param name="FirstRefusal">The first refusal of this source since it last held nothing: log it.</param>
    public readonly record struct Admission(IDisposable? Lease, string? Refusal, bool FirstRefusal);

    /// <summary>One held slot; disposing gives it back, once.</summary>
    private sealed class Lease(PerSourceCounter owner, SourceKey source) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner.Release(source);
            }
        }
    }
}
