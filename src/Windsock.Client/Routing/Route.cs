using System.Globalization;

namespace Windsock.Client.Routing;

/// <summary>
/// The decision for one destination: deny, direct, or via a list of proxies (each a chain) tried
/// in order. <see cref="Origin"/> says which rule or setting decided, for messages and --verbose.
/// </summary>
public sealed class Route
{
    private Route(RouteAction action, IReadOnlyList<ProxyChain> proxies, string origin)
    {
        Action = action;
        Proxies = proxies;
        Origin = origin;
    }

    /// <summary>Deny, direct, or via <see cref="Proxies"/>.</summary>
    public RouteAction Action { get; }

    /// <summary>For <see cref="RouteAction.Via"/>: the proxies in the order they are tried; empty otherwise.</summary>
    public IReadOnlyList<ProxyChain> Proxies { get; }

    /// <summary>Where the decision came from: "client.toml:12:1 (rule 3 "corp")", "ALL_PROXY", "--proxy", ….</summary>
    public string Origin { get; }

    /// <summary>A route that refuses the destination.</summary>
    /// <param name="origin">What decided, for messages.</param>
    /// <returns>A <see cref="RouteAction.Deny"/> route.</returns>
    /// <exception cref="ArgumentException"><paramref name="origin"/> is null, empty or white space.</exception>
    public static Route Deny(string origin) => new(RouteAction.Deny, [], Check(origin));

    /// <summary>A route that connects directly, without a proxy.</summary>
    /// <param name="origin">What decided, for messages.</param>
    /// <returns>A <see cref="RouteAction.Direct"/> route.</returns>
    /// <exception cref="ArgumentException"><paramref name="origin"/> is null, empty or white space.</exception>
    public static Route Direct(string origin) => new(RouteAction.Direct, [], Check(origin));

    /// <summary>A route through <paramref name="proxies"/>, tried in order: the next only when one cannot be reached.</summary>
    /// <param name="proxies">At least one chain; the list is copied.</param>
    /// <param name="origin">What decided, for messages.</param>
    /// <returns>A <see cref="RouteAction.Via"/> route.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="proxies"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="proxies"/> is empty or contains null, or <paramref name="origin"/> is blank.</exception>
    public static Route Via(IEnumerable<ProxyChain> proxies, string origin)
    {
        ArgumentNullException.ThrowIfNull(proxies);
        ProxyChain[] list = [.. proxies];
        if (list.Length == 0 || Array.IndexOf(list, null) >= 0)
        {
            throw new ArgumentException("A route via proxies needs at least one proxy, and no null.", nameof(proxies));
        }

        return new(RouteAction.Via, list, Check(origin));
    }

    /// <summary>"deny (client.toml:3:1)", "via socks5h://a:1080, then socks5h://b:1080 (ALL_PROXY)".</summary>
    /// <returns>The action, the proxies for via, and the origin.</returns>
    public override string ToString() => Action switch
    {
        RouteAction.Deny => $"deny ({Origin})",
        RouteAction.Direct => $"direct ({Origin})",
        _ => string.Create(CultureInfo.InvariantCulture, $"via {string.Join(", then ", Proxies)} ({Origin})"),
    };

    private static string Check(string origin)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(origin);
        return origin;
    }
}
