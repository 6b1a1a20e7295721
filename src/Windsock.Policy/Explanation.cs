using System.Text;

namespace Windsock.Policy;

/// <summary>One rule's part in an explanation.</summary>
public sealed record RuleTrace(int Number, AccessRule Rule, RuleMatch Result, IReadOnlyList<string> Notes)
{
    /// <summary>"rule 2 (windsock.toml:14:1) did not match: destination port 23 (telnet) not in {80,443}".</summary>
    public override string ToString()
    {
        string head = Rule.Describe(Number);
        string notes = string.Join("; ", Notes);
        return Result switch
        {
            RuleMatch.Matched => $"{head} matched ({Rule.Action.Name()}): {notes}",
            RuleMatch.NotMatched => $"{head} did not match: {notes}",
            RuleMatch.Undetermined => $"{head} is undetermined: {notes}",
            _ => $"{head} was not reached",
        };
    }
}

/// <summary>The decision with every rule's reason, for `windsock check` and debug logs.</summary>
public sealed record Explanation(Decision Decision, IReadOnlyList<RuleTrace> Rules, string? SafeDefault)
{
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(Decision.Outcome switch
        {
            DecisionOutcome.Allow => "allow",
            DecisionOutcome.Deny => "deny",
            _ => "needs the resolved address",
        });
        text.Append(" by ").Append(Decision.DecidedBy);
        if (Decision.Outcome == DecisionOutcome.Deny)
        {
            text.Append(", reply ").Append(Decision.Reply.ToString());
        }

        text.Append('\n').Append("reason: ").Append(Decision.Reason).Append('\n');
        if (SafeDefault is not null)
        {
            text.Append("safe default: ").Append(SafeDefault).Append('\n');
        }

        foreach (RuleTrace rule in Rules)
        {
            text.Append(rule.ToString()).Append('\n');
        }

        return text.ToString();
    }
}
