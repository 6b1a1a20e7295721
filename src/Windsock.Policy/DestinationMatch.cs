using System.Net;

namespace Windsock.Policy;

/// <summary>
/// What part of a <see cref="DestinationSet"/> a destination falls into, found by
/// <see cref="DestinationSet.Find"/> without any lookup. The server's rules and the client's routing
/// rules both match destinations through it, and each words its own explanation from it.
/// </summary>
public readonly record struct DestinationMatch
{
    /// <summary>Whether the destination is in the set, is not, or needs its address to tell.</summary>
    public required RuleMatch Result { get; init; }

    /// <summary>The host pattern that matched, when one did.</summary>
    public HostPattern? Pattern { get; init; }

    /// <summary>The network the compared address is in, when a network matched.</summary>
    public IPNetwork? Network { get; init; }

    internal static DestinationMatch ByPattern(HostPattern pattern) => new() { Result = RuleMatch.Matched, Pattern = pattern };

    internal static DestinationMatch ByNetwork(IPNetwork network) => new() { Result = RuleMatch.Matched, Network = network };

    internal static DestinationMatch NeedsAddress { get; } = new() { Result = RuleMatch.Undetermined };

    internal static DestinationMatch None { get; } = new() { Result = RuleMatch.NotMatched };
}
