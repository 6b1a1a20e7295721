namespace Windsock.Policy;

/// <summary>
/// The ordered access rules and what happens to requests no rule allows. The first matching rule
/// decides; no match means deny.
/// </summary>
public sealed class RuleSet
{
    private readonly AccessRule[] _rules;

    public RuleSet(IEnumerable<AccessRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        _rules = [.. rules];
    }

    public IReadOnlyList<AccessRule> Rules => _rules;

    /// <summary>The answer when no rule matches, or the safe default denies.</summary>
    public DenyReply DefaultReply { get; init; } = DenyReply.NotAllowed;

    /// <summary>The log level of the default and safe-default denials.</summary>
    public RuleLogLevel DefaultLogLevel { get; init; } = RuleLogLevel.Warning;

    /// <summary>Commands run for every denied request, whichever rule (or default) denied it, after the rule's own.</summary>
    public IReadOnlyList<string> NotifyOnDeny { get; init; } = [];

    /// <summary>Allows every request from loopback clients and nothing else: the embedded default's policy.</summary>
    public static RuleSet LoopbackOnly { get; } = new(
    [
        new AccessRule
        {
            Action = RuleAction.Allow,
            Name = "loopback clients",
            From = new NetworkSet([System.Net.IPNetwork.Parse("127.0.0.0/8"), System.Net.IPNetwork.Parse("::1/128")]),
        },
    ]);
}
