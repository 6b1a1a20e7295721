using System.Net;

namespace Windsock.Policy;

/// <summary>
/// Decides requests against a <see cref="RuleSet"/>: the first matching rule wins, no match means
/// deny, and destinations on the proxy host or its link are denied to non-loopback clients unless
/// the matching allow rule names them (the safe default). Pure and thread-safe; does no I/O.
/// </summary>
/// <remarks>
/// A decision is final only when it cannot depend on an address not known yet. For a destination
/// name without <see cref="AccessRequest.ResolvedAddress"/>, a deny rule that matches before any
/// rule whose networks need the address is final (the server need not even resolve the name);
/// anything else is <see cref="DecisionOutcome.NeedsAddress"/>, and the caller asks again with each
/// address it is about to use. Allowing is therefore always decided on the address actually
/// connected to, which is what defeats DNS rebinding.
/// </remarks>
public sealed class PolicyEngine
{
    // What each rule decides when it decides on its own (its allow, or its deny), and the default deny: the same
    // immutable decision for every request, so made once, not per session (with its reason text, its notify list).
    // Filled as rules first decide; two threads making the same one at once make equal decisions.
    private readonly Decision?[] _ruleDecisions;
    private Decision? _noRuleMatched;

    public PolicyEngine(RuleSet rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        Rules = rules;
        _ruleDecisions = new Decision?[rules.Rules.Count];
    }

    public RuleSet Rules { get; }

    public Decision Decide(AccessRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Evaluate(request, null, out _);
    }

    public Explanation Explain(AccessRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var traces = new List<RuleTrace>(Rules.Rules.Count);
        Decision decision = Evaluate(request, traces, out string? safeDefault);
        return new Explanation(decision, traces, safeDefault);
    }

    private Decision Evaluate(AccessRequest request, List<RuleTrace>? traces, out string? safeDefaultNote)
    {
        bool explain = traces is not null;
        IPAddress? address = request.CheckedAddress;
        safeDefaultNote = null;
        bool isProtected = false;
        IPNetwork protectedRange = default;
        string protectedWhat = string.Empty;
        if (address is not null && !request.ClientOnLoopback
            && ProtectedDestinations.TryClassify(address, request.ServerAddresses, out protectedRange, out protectedWhat))
        {
            isProtected = true;
            if (explain)
            {
                safeDefaultNote = $"destination {address} is {protectedWhat} and the client {ProtectedDestinations.Normalize(request.ClientAddress)} is not on loopback: only an allow rule that names a network within {protectedRange} may allow it";
            }
        }

        IReadOnlyList<AccessRule> rules = Rules.Rules;
        bool undetermined = false;
        for (int i = 0; i < rules.Count; i++)
        {
            AccessRule rule = rules[i];
            List<string>? notes = explain ? [] : null;
            RuleMatch match = rule.Match(request, address, notes);
            traces?.Add(new RuleTrace(i + 1, rule, match, notes ?? []));
            if (match == RuleMatch.NotMatched)
            {
                continue;
            }

            if (match == RuleMatch.Undetermined)
            {
                undetermined = true;
                continue;
            }

            AddNotReached(traces, i + 1);
            if (undetermined || (address is null && rule.Action == RuleAction.Allow && !request.AssociationSetup))
            {
                return NeedsAddress(request);
            }

            int number = i + 1;
            if (rule.Action == RuleAction.Deny)
            {
                return RuleDecision(i);
            }

            if (isProtected && (rule.To is null || !ProtectedDestinations.NamesExplicitly(rule.To.Networks, address!, protectedRange)))
            {
                return new Decision
                {
                    Outcome = DecisionOutcome.Deny,
                    Basis = DecisionBasis.SafeDefault,
                    Rule = rule,
                    RuleNumber = number,
                    Reply = Rules.DefaultReply,
                    Reason = $"destination {address} is {protectedWhat}; {rule.Describe(number)} allows the request but does not name a network within {protectedRange}",
                    LogLevel = Rules.DefaultLogLevel,
                    Notify = Rules.NotifyOnDeny,
                };
            }

            return RuleDecision(i);
        }

        if (undetermined)
        {
            return NeedsAddress(request);
        }

        return _noRuleMatched ??= new Decision
        {
            Outcome = DecisionOutcome.Deny,
            Basis = DecisionBasis.NoRuleMatched,
            Reply = Rules.DefaultReply,
            Reason = "no rule matched: default deny",
            LogLevel = Rules.DefaultLogLevel,
            Notify = Rules.NotifyOnDeny,
        };
    }

    /// <summary>The decision rule <paramref name="index"/> makes when it matches and decides by itself.</summary>
    private Decision RuleDecision(int index)
    {
        if (Volatile.Read(ref _ruleDecisions[index]) is { } made)
        {
            return made;
        }

        AccessRule rule = Rules.Rules[index];
        int number = index + 1;
        var decision = rule.Action == RuleAction.Deny
            ? new Decision
            {
                Outcome = DecisionOutcome.Deny,
                Basis = DecisionBasis.Rule,
                Rule = rule,
                RuleNumber = number,
                Reply = rule.Reply,
                Reason = rule.Reason ?? $"denied by {rule.Describe(number)}",
                LogLevel = rule.LogLevel,
                Notify = Concat(rule.Notify, Rules.NotifyOnDeny),
                Ident = rule.Ident,
            }
            : new Decision
            {
                Outcome = DecisionOutcome.Allow,
                Basis = DecisionBasis.Rule,
                Rule = rule,
                RuleNumber = number,
                Reason = rule.Reason ?? $"allowed by {rule.Describe(number)}",
                LogLevel = rule.LogLevel,
                Notify = rule.Notify,
                Ident = rule.Ident,
            };
        Volatile.Write(ref _ruleDecisions[index], decision);
        return decision;
    }

    private Decision NeedsAddress(AccessRequest request) => new()
    {
        Outcome = DecisionOutcome.NeedsAddress,
        Basis = DecisionBasis.AddressNeeded,
        Reply = Rules.DefaultReply,
        Reason = $"the decision depends on the address {request.Destination.Host} resolves to",
        LogLevel = RuleLogLevel.Debug,
    };

    private void AddNotReached(List<RuleTrace>? traces, int decided)
    {
        if (traces is null)
        {
            return;
        }

        for (int i = decided; i < Rules.Rules.Count; i++)
        {
            traces.Add(new RuleTrace(i + 1, Rules.Rules[i], RuleMatch.NotReached, []));
        }
    }

    private static IReadOnlyList<string> Concat(IReadOnlyList<string> first, IReadOnlyList<string> second) =>
        second.Count == 0 ? first : first.Count == 0 ? second : [.. first, .. second];
}
