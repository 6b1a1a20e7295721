using System.Globalization;
using System.Text;
using Windsock.Client.Routing;
using Windsock.Policy;

namespace Windsock.Cli;

/// <summary>
/// <c>windsock check --client [--client-config FILE] --to HOST:PORT</c>: which rule of the client
/// routing file routes a destination, and why. Prints where the routes come from, every rule in order
/// with why it did or did not match, the deciding rule with its file:line, and the route.
/// </summary>
/// <remarks>
/// Exit codes: 0 the route is direct or via proxies; 1 the destination is denied; 2 usage errors and
/// routing files that cannot be used (file:line:col). Without <c>--client-config</c> the routes come
/// from exactly where <c>windsock connect</c> and <c>forward</c> take them (<see cref="Router.FromEnvironment()"/>).
/// </remarks>
internal static class ClientCheck
{
    private const int Routed = 0;
    private const int Denied = 1;
    private const int Usage = 2;

    public static async Task<int> RunAsync(string? configPath, string? to, TextWriter output, TextWriter error)
    {
        if (to is null)
        {
            return await UsageAsync(error, "--client needs --to HOST:PORT, the destination to route").ConfigureAwait(false);
        }

        if (!TryParseDestination(to, out string host, out int port, out string? problem))
        {
            return await UsageAsync(error, problem).ConfigureAwait(false);
        }

        Router router;
        string source;
        try
        {
            if (configPath is not null)
            {
                router = Router.Load(configPath);
                source = "--client-config";
            }
            else
            {
                router = Router.FromEnvironment();
                source = DescribeLookup(router);
            }
        }
        catch (RoutingFileException e)
        {
            await error.WriteLineAsync($"windsock check: {e.Message}").ConfigureAwait(false);
            return Usage;
        }

        RouteExplanation explanation = router.Explain(host, port);
        await output.WriteLineAsync($"routes from {router.Source} ({source})").ConfigureAwait(false);
        await output.WriteLineAsync($"destination: {explanation.Destination}").ConfigureAwait(false);
        foreach (RoutingRuleTrace rule in explanation.Rules)
        {
            await output.WriteLineAsync(rule.ToString()).ConfigureAwait(false);
        }

        string decidedBy = explanation.DecidedBy is { } decider
            ? $"rule {decider.Number}{(decider.Name is null ? "" : $" \"{decider.Name}\"")} at {decider.File}:{decider.Line.ToString(CultureInfo.InvariantCulture)}"
            : router.Rules.Count > 0 || explanation.Route.Action == RouteAction.Deny ? $"no rule: none in {router.Source} matched, and no match denies"
            : router.Source;
        await output.WriteLineAsync($"decided by: {decidedBy}").ConfigureAwait(false);
        await output.WriteAsync(DescribeRoute(explanation.Route)).ConfigureAwait(false);
        return explanation.Route.Action == RouteAction.Deny ? Denied : Routed;
    }

    private static async Task<int> UsageAsync(TextWriter error, string? problem)
    {
        await error.WriteLineAsync($"windsock check: error: {problem}").ConfigureAwait(false);
        return Usage;
    }

    /// <summary>"route: deny", "route: direct", "route: via, proxies tried in order:" and one line per proxy (a chain first hop first).</summary>
    private static string DescribeRoute(Route route)
    {
        var text = new StringBuilder();
        switch (route.Action)
        {
            case RouteAction.Deny:
                text.Append("route: deny (nothing is sent anywhere)\n");
                break;
            case RouteAction.Direct:
                text.Append("route: direct (no proxy)\n");
                break;
            default:
                text.Append(route.Proxies.Count == 1 ? "route: via 1 proxy:\n" : string.Create(CultureInfo.InvariantCulture, $"route: via {route.Proxies.Count} proxies, tried in order (the next only when one cannot be reached):\n"));
                for (int i = 0; i < route.Proxies.Count; i++)
                {
                    string chain = route.Proxies[i].Count > 1 ? " (a chain, first hop first)" : "";
                    text.Append(CultureInfo.InvariantCulture, $"  {i + 1}. {route.Proxies[i]}{chain}\n");
                }

                break;
        }

        return text.ToString();
    }

    /// <summary>Which step of the lookup <see cref="Router.FromEnvironment()"/> took, in words.</summary>
    private static string DescribeLookup(Router router)
    {
        string? named = Environment.GetEnvironmentVariable(Router.RoutingFileVariable);
        if (!string.IsNullOrEmpty(named))
        {
            return $"${Router.RoutingFileVariable}";
        }

        string[] files = [.. DefaultLocations()];
        if (files.Contains(router.Source, StringComparer.Ordinal))
        {
            return router.Source == files[0] || files.Length == 1
                ? $"${Router.RoutingFileVariable} is not set; the first routing file that exists"
                : $"${Router.RoutingFileVariable} is not set and {string.Join(", ", files.TakeWhile(f => f != router.Source))} does not exist";
        }

        string none = $"${Router.RoutingFileVariable} is not set and no routing file exists ({string.Join(", ", files)})";
        return router.Source is "ALL_PROXY" or "all_proxy" ? $"{none}; ${router.Source} is set" : $"{none}, and ALL_PROXY is not set";
    }

    /// <summary>The candidate files, as <see cref="Router.FromEnvironment()"/> looks for them.</summary>
    private static IEnumerable<string> DefaultLocations()
    {
        string? configHome = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
        string? home = Environment.GetEnvironmentVariable("HOME");
        if (!string.IsNullOrEmpty(configHome))
        {
            yield return Path.Combine(configHome, "windsock", "client.toml");
        }
        else if (!string.IsNullOrEmpty(home))
        {
            yield return Path.Combine(home, ".config", "windsock", "client.toml");
        }

        yield return "/etc/windsock/client.toml";
    }

    /// <summary>"www.example.org:443", "192.0.2.7:https", "[2001:db8::7]:443".</summary>
    private static bool TryParseDestination(string text, out string host, out int port, out string? problem)
    {
        host = "";
        port = 0;
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            problem = $"--to \"{text}\": write HOST:PORT, e.g. www.example.org:443 or [2001:db8::1]:443";
            return false;
        }

        string portText = text[(colon + 1)..];
        if (!PortSet.TryParseItem(portText, out (ushort Low, ushort High) range, out _) || range.Low != range.High)
        {
            problem = $"--to: \"{portText}\" is not a port number or service name";
            return false;
        }

        host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        else if (host.Contains(':', StringComparison.Ordinal))
        {
            problem = $"--to \"{text}\": put an IPv6 address in brackets, e.g. [{host}]:{portText}";
            return false;
        }

        if (string.IsNullOrWhiteSpace(host))
        {
            problem = $"--to \"{text}\": write HOST:PORT, e.g. www.example.org:443";
            return false;
        }

        port = range.Low;
        problem = null;
        return true;
    }
}
