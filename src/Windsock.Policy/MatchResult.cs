namespace Windsock.Policy;

/// <summary>How one rule (or one condition of it) relates to a request.</summary>
public enum RuleMatch
{
    /// <summary>A condition does not hold.</summary>
    NotMatched,

    /// <summary>
    /// Nothing fails, but a network condition needs the address a requested name resolves to, and
    /// the request did not carry it yet.
    /// </summary>
    Undetermined,

    /// <summary>Every condition holds.</summary>
    Matched,

    /// <summary>An earlier rule decided; this one was not looked at.</summary>
    NotReached,
}
