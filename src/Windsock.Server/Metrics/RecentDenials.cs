using System.Collections.Concurrent;
using Windsock.Server.Sessions;

namespace Windsock.Server.Metrics;

/// <summary>
/// The latest denials (a fixed number, oldest dropped) and the count per rule, for the status page. Bounded
/// both ways: the ring by its size, the counts by the rules of the configuration.
/// </summary>
public sealed class RecentDenials
{
    private readonly Denial[] _ring;
    private readonly ConcurrentDictionary<string, long> _byRule = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private long _added;

    public RecentDenials(int capacity)
    {
        _ring = new Denial[capacity];
    }

    public IReadOnlyDictionary<string, long> ByRule => _byRule;

    public long Total => Interlocked.Read(ref _added);

    internal void Add(string rule, string reason, SessionRecord record, DateTimeOffset at)
    {
        _byRule.AddOrUpdate(rule, 1, static (_, n) => n + 1);
        var denial = new Denial(at, record.Id, record.Client.ToString(), record.User, record.Destination?.ToString(), record.CommandName, rule, reason);
        lock (_gate)
        {
            _ring[(int)(_added % _ring.Length)] = denial;
            _added++;
        }
    }

    /// <summary>The latest denials, newest first.</summary>
    public IReadOnlyList<Denial> Latest()
    {
        lock (_gate)
        {
            int count = (int)Math.Min(_added, _ring.Length);
            var list = new List<Denial>(count);
            for (long i = _added - 1; i >= _added - count; i--)
            {
                list.Add(_ring[(int)(i % _ring.Length)]);
            }

            return list;
        }
    }

    public sealed record Denial(DateTimeOffset At, long SessionId, string Client, string? User, string? Destination, string? Command, string Rule, string Reason);
}
