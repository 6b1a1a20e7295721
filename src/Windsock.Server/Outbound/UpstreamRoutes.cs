using Windsock.Server.Configuration;

namespace Windsock.Server.Outbound;

/// <summary>
/// The upstream routes of one configuration, by name. A reload builds a new table; a route whose chains and health
/// settings did not change keeps its chains' health, so a reload neither forgets a dead upstream nor revives it early.
/// </summary>
public sealed class UpstreamRoutes
{
    private readonly Dictionary<string, UpstreamRoute> _routes;

    public UpstreamRoutes(IReadOnlyList<UpstreamRouteOptions> routes, TimeSpan connectTimeout, TimeProvider time, UpstreamRoutes? previous = null)
    {
        ArgumentNullException.ThrowIfNull(routes);
        _routes = new Dictionary<string, UpstreamRoute>(StringComparer.Ordinal);
        foreach (var options in routes)
        {
            var carried = previous is not null && previous._routes.TryGetValue(options.Name, out var before) && before.SameChainsAs(options) ? before.Health : null;
            _routes[options.Name] = new UpstreamRoute(options, connectTimeout, time, carried);
        }
    }

    public static UpstreamRoutes None { get; } = new([], TimeSpan.FromSeconds(1), TimeProvider.System);

    public int Count => _routes.Count;

    /// <summary>The route a rule's via names; the loader checked that every via names one.</summary>
    public UpstreamRoute? Find(string name) => _routes.GetValueOrDefault(name);
}
