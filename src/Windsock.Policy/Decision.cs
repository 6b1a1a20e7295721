namespace Windsock.Policy;

public enum DecisionOutcome
{
    Deny,
    Allow,

    /// <summary>
    /// The destination is a name and the answer depends on the address it resolves to: resolve it
    /// and ask again with <see cref="AccessRequest.ResolvedAddress"/> set, once per address tried.
    /// Never an answer to send: treat as "not yet allowed".
    /// </summary>
    NeedsAddress,
}

/// <summary>What decided.</summary>
public enum DecisionBasis
{
    /// <summary>A rule matched (<see cref="Decision.Rule"/>).</summary>
    Rule,

    /// <summary>No rule matched: default deny.</summary>
    NoRuleMatched,

    /// <summary>The destination is on the proxy host or its link and the matching allow rule did not name it.</summary>
    SafeDefault,

    /// <summary>See <see cref="DecisionOutcome.NeedsAddress"/>.</summary>
    AddressNeeded,
}

/// <summary>The answer to one request.</summary>
public sealed record Decision
{
    public required DecisionOutcome Outcome { get; init; }

    public required DecisionBasis Basis { get; init; }

    public bool IsAllowed => Outcome == DecisionOutcome.Allow;

    /// <summary>The rule that matched, also for <see cref="DecisionBasis.SafeDefault"/> (the allow rule that was overridden); null otherwise.</summary>
    public AccessRule? Rule { get; init; }

    /// <summary>1-based position of <see cref="Rule"/>; 0 when there is none.</summary>
    public int RuleNumber { get; init; }

    /// <summary>For denials: the reply to send, or drop.</summary>
    public DenyReply Reply { get; init; } = DenyReply.NotAllowed;

    /// <summary>One line for the request log.</summary>
    public required string Reason { get; init; }

    public RuleLogLevel LogLevel { get; init; } = RuleLogLevel.Info;

    /// <summary>Hook commands to run (not yet expanded).</summary>
    public IReadOnlyList<string> Notify { get; init; } = [];

    public IdentMode Ident { get; init; } = IdentMode.Off;

    /// <summary>"rule 3 (windsock.toml:14:1)", "default deny", "safe default".</summary>
    public string DecidedBy => Basis switch
    {
        DecisionBasis.Rule => Rule!.Describe(RuleNumber),
        DecisionBasis.NoRuleMatched => "no rule matched: default deny",
        DecisionBasis.SafeDefault => "safe default",
        _ => "undecided until the name is resolved",
    };
}
