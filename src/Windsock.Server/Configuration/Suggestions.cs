namespace Windsock.Server.Configuration;

/// <summary>
/// "Did you mean" for misspelt keys and values. Optimal string alignment distance, so a swapped
/// pair of letters ("lsiten") counts as one mistake, and '-' equals '_' because both are common.
/// A shortened or extended word ("idle", "listen_on") also suggests the key it starts like.
/// </summary>
public static class Suggestions
{
    public static string? Closest(string input, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        string normalizedInput = Normalize(input);
        foreach (string candidate in candidates)
        {
            string normalizedCandidate = Normalize(candidate);
            int distance = Distance(normalizedInput, normalizedCandidate);
            if (Math.Min(normalizedInput.Length, normalizedCandidate.Length) >= 4
                && (normalizedInput.StartsWith(normalizedCandidate, StringComparison.Ordinal) || normalizedCandidate.StartsWith(normalizedInput, StringComparison.Ordinal)))
            {
                distance = Math.Min(distance, 1);
            }

            // A third of the word may be wrong; beyond that the suggestion is more confusing than helpful.
            int allowed = Math.Max(1, candidate.Length / 3);
            if (distance <= allowed && distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return best;
    }

    private static string Normalize(string text) => text.ToLowerInvariant().Replace('-', '_');

    internal static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (int j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
