using System.Globalization;
using Windsock.Client;
using Windsock.Policy;

namespace Windsock.Server.Configuration;

/// <summary>
/// One <c>[[route]]</c> table (docs/upstream-routes.md): a named way out through other SOCKS servers, which a
/// rule's <c>via</c> names. Its chains are tried in order; a chain that failed <see cref="MaxFailures"/> times in
/// a row is skipped for <see cref="RetryTime"/> (gost's max_fails/fail_timeout, glider's check), then tried again.
/// </summary>
public sealed record UpstreamRouteOptions
{
    public const int DefaultMaxFailures = 3;

    public static readonly TimeSpan DefaultRetryTime = TimeSpan.FromSeconds(30);

    public required string Name { get; init; }

    /// <summary>The <c>[[route]]</c> header's position, as explanations show it.</summary>
    public SourceLocation Location { get; init; } = SourceLocation.None;

    /// <summary>The chains, first to last; each has its hops' credentials (passwords read from their files).</summary>
    public required IReadOnlyList<ProxyChain> Chains { get; init; }

    /// <summary>Failures in a row after which a chain is skipped.</summary>
    public int MaxFailures { get; init; } = DefaultMaxFailures;

    /// <summary>How long a failed chain is skipped before one request tries it again.</summary>
    public TimeSpan RetryTime { get; init; } = DefaultRetryTime;

    /// <summary>Warnings to print at start, reload and in <c>windsock check</c> (a password file others can read).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The chain as the log and check show it: hop URLs joined by " -> ", with the user but never a password.</summary>
    public static string Describe(ProxyChain chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        return string.Join(" -> ", chain.Select(Describe));
    }

    /// <summary>One hop's URL with its user name (which the log may show) and without its password.</summary>
    public static string Describe(ProxyHop hop)
    {
        ArgumentNullException.ThrowIfNull(hop);
        string url = hop.ToString();
        string? user = hop.Credentials?.UserName ?? (string.IsNullOrEmpty(hop.UserId) ? null : hop.UserId);
        if (user is null)
        {
            return url;
        }

        int scheme = url.IndexOf("://", StringComparison.Ordinal) + 3;
        return string.Create(CultureInfo.InvariantCulture, $"{url[..scheme]}{Uri.EscapeDataString(user)}@{url[scheme..]}");
    }

    /// <summary>What <c>windsock check</c> says about the route, one line each.</summary>
    public IEnumerable<string> Explain()
    {
        yield return string.Create(CultureInfo.InvariantCulture, $"route \"{Name}\" ({Location}): {Chains.Count} chain{(Chains.Count == 1 ? "" : "s")}, tried in order");
        for (int i = 0; i < Chains.Count; i++)
        {
            string credentials = string.Join(", ", Chains[i].Select((h, n) => h.Credentials is null ? null : $"hop {n + 1} logs in as {h.Credentials.UserName}").OfType<string>());
            yield return string.Create(CultureInfo.InvariantCulture, $"  chain {i + 1}: {Describe(Chains[i])}{(credentials.Length == 0 ? "" : $" ({credentials})")}");
        }

        yield return string.Create(CultureInfo.InvariantCulture,
            $"  a chain that fails {MaxFailures} time{(MaxFailures == 1 ? "" : "s")} in a row (cannot reach, log in to or pass a hop) is skipped for {DurationText(RetryTime)}, then one request tries it again; when every chain is skipped, all are tried in order");
        yield return "  a refusal by the last hop (the destination refused, unreachable, or denied by its rules) is the answer, not a chain failure";
    }

    private static string DurationText(TimeSpan duration) => duration.TotalSeconds >= 1 && duration.Milliseconds == 0
        ? string.Create(CultureInfo.InvariantCulture, $"{duration.TotalSeconds:0}s")
        : string.Create(CultureInfo.InvariantCulture, $"{duration.TotalMilliseconds:0}ms");
}
