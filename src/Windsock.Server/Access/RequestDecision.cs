using Windsock.Policy;

namespace Windsock.Server.Access;

/// <summary>
/// A session's request as the gate decided it: the decision, and the request as the rules saw it, which a
/// command hands back with each address it finds when the decision waits for one.
/// </summary>
public readonly record struct RequestDecision(Decision Decision, AccessRequest Request)
{
    /// <summary>The request to decide again on each address, when the decision waits for one; null otherwise.</summary>
    public AccessRequest? Pending => Decision.Outcome == DecisionOutcome.NeedsAddress ? Request : null;
}
