using System.Text;

namespace Windsock.Client.Routing;

/// <summary>
/// Why <see cref="Router.GetRoute"/> routes a destination as it does: every rule in order with
/// why it did or did not match, and the deciding rule (none when the routes do not come from a file,
/// or when no rule matched and no match denies). For <c>windsock check --client</c>.
/// </summary>
public sealed class RouteExplanation
{
    internal RouteExplanation(string destination, string source, Route route, RoutingRule? decidedBy, IReadOnlyList<RoutingRuleTrace> rules)
    {
        Destination = destination;
        Source = source;
        Route = route;
        DecidedBy = decidedBy;
        Rules = rules;
    }

    /// <summary>host:port as asked for, IPv6 in brackets.</summary>
    public string Destination { get; }

    /// <summary>Where the routes come from, as <see cref="Router.Source"/>.</summary>
    public string Source { get; }

    /// <summary>The decision, exactly what <see cref="Router.GetRoute"/> returns.</summary>
    public Route Route { get; }

    /// <summary>The first rule that matched; null when no rule matched or there are no rules.</summary>
    public RoutingRule? DecidedBy { get; }

    /// <summary>Every rule of the file in order: those before the deciding rule did not match, those after it were not reached.</summary>
    public IReadOnlyList<RoutingRuleTrace> Rules { get; }

    /// <summary>One line per rule, then the route.</summary>
    /// <returns>The explanation as <c>windsock check --client</c> prints it.</returns>
    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (RoutingRuleTrace rule in Rules)
        {
            text.Append(rule).Append('\n');
        }

        text.Append("route: ").Append(Route).Append('\n');
        return text.ToString();
    }
}

/// <summary>One rule's part in a <see cref="RouteExplanation"/>.</summary>
public sealed class RoutingRuleTrace
{
    internal RoutingRuleTrace(RoutingRule rule, RoutingRuleResult result, string reason)
    {
        Rule = rule;
        Result = result;
        Reason = reason;
    }

    /// <summary>The rule.</summary>
    public RoutingRule Rule { get; }

    /// <summary>Whether it matched, did not, or was not reached.</summary>
    public RoutingRuleResult Result { get; }

    /// <summary>Why it matched or not ("port 22 not in {80,443}"); empty when not reached.</summary>
    public string Reason { get; }

    /// <summary>"rule 2 "office" (client.toml:9:1) did not match: port 22 not in {80,443}".</summary>
    /// <returns>The rule and its result in words.</returns>
    public override string ToString() => Result switch
    {
        RoutingRuleResult.Matched => $"{Rule} matched ({Rule.Route.Action.ToString().ToLowerInvariant()}): {Reason}",
        RoutingRuleResult.NotMatched => $"{Rule} did not match: {Reason}",
        _ => $"{Rule} was not reached",
    };
}

/// <summary>What one rule did in a <see cref="RouteExplanation"/>.</summary>
public enum RoutingRuleResult
{
    /// <summary>The rule matched and decided.</summary>
    Matched,

    /// <summary>The rule did not match; the next was tried.</summary>
    NotMatched,

    /// <summary>An earlier rule decided.</summary>
    NotReached,
}
