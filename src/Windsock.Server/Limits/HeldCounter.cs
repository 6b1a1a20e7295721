namespace Windsock.Server.Limits;

/// <summary>
/// How many of one kind of thing (sessions, unauthenticated sessions, BIND listeners) each key (a source,
/// a user, a rule, or the whole server) holds at once, with a cap. A key appears in the table only while
/// it holds at least one, so memory is bounded by what is open, not by how many keys ever came. The cap
/// is given with each acquisition, so a reload that changes it takes effect at once while the counts of
/// open sessions carry over.
/// </summary>
/// <param name="name">The limit's name in log reasons and the configuration, e.g. <c>bind_per_source</c>.</param>
public sealed class HeldCounter<TKey>(string name)
    where TKey : notnull
{
    private readonly Dictionary<TKey, Entry> _held = [];

    public string Name { get; } = name;

    /// <summary>How many <paramref name="key"/> holds now.</summary>
    public int HeldBy(TKey key)
    {
        lock (_held)
        {
            return _held.TryGetValue(key, out var entry) ? entry.Count : 0;
        }
    }

    /// <summary>
    /// Takes one for <paramref name="key"/>, or refuses at <paramref name="limit"/>. A refusal says whether it is
    /// the first since the key last held nothing, so the diagnostic log says so once, not per attempt.
    /// </summary>
    /// <param name="key">Whose count.</param>
    /// <param name="limit">The cap in force.</param>
    /// <param name="who">How the reason names the key ("alice", "192.0.2.7", "rule 2 \"web\"").</param>
    public LimitAdmission TryAcquire(TKey key, int limit, string who) => Acquire(key, limit, who);

    /// <summary>
    /// <see cref="TryAcquire(TKey, int, string)"/> naming the key by its own text, made only for a refusal: every
    /// connection takes an unauthenticated slot, and the text of its source was a string per connection (and left
    /// cached on the client's address for the session's life).
    /// </summary>
    public LimitAdmission TryAcquire(TKey key, int limit) => Acquire(key, limit, null);

    private LimitAdmission Acquire(TKey key, int limit, string? who)
    {
        lock (_held)
        {
            _held.TryGetValue(key, out var entry);
            if (entry.Count >= limit)
            {
                bool first = !entry.Refused;
                if (entry.Count > 0)
                {
                    _held[key] = entry with { Refused = true };
                }

                return LimitAdmission.Refuse(Name, $"limit {Name}={limit} reached for {who ?? key.ToString()}", first);
            }

            _held[key] = entry with { Count = entry.Count + 1 };
            return new LimitAdmission(new Lease(this, key), null, null, false);
        }
    }

    private void Release(TKey key)
    {
        lock (_held)
        {
            var entry = _held[key];
            if (entry.Count == 1)
            {
                _held.Remove(key);
            }
            else
            {
                _held[key] = entry with { Count = entry.Count - 1 };
            }
        }
    }

    private readonly record struct Entry(int Count, bool Refused);

    /// <summary>A held slot: disposing gives it back, once, however often it is disposed (one object, no closure).</summary>
    private sealed class Lease(HeldCounter<TKey> counter, TKey key) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                counter.Release(key);
            }
        }
    }
}
