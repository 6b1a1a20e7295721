using System.Collections.Concurrent;

namespace Windsock.Server.Probes;

/// <summary>
/// Running probe sessions per user (or, for sessions without a user, per client address), process-wide:
/// the count describes open sessions, which a configuration reload does not end.
/// </summary>
internal static class ProbeSessions
{
    private static readonly ConcurrentDictionary<string, int> Running = new(StringComparer.Ordinal);

    /// <summary>A lease while under <paramref name="max"/>; null when <paramref name="who"/> already runs that many.</summary>
    public static IDisposable? TryEnter(string who, int max)
    {
        while (true)
        {
            int current = Running.GetOrAdd(who, 0);
            if (current >= max)
            {
                return null;
            }

            if (Running.TryUpdate(who, current + 1, current))
            {
                return new Lease(who);
            }
        }
    }

    /// <summary>Sessions running for <paramref name="who"/> now (tests and diagnostics).</summary>
    public static int Count(string who) => Running.TryGetValue(who, out int n) ? n : 0;

    private sealed class Lease(string who) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                Running.AddOrUpdate(who, 0, (_, n) => Math.Max(0, n - 1));
            }
        }
    }
}
