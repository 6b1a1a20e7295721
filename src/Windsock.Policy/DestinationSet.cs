using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace Windsock.Policy;

/// <summary>
/// The destinations a rule names: networks and host patterns, either of which may match.
/// Host patterns match the name the client asked for. Networks match the address actually used:
/// the resolved address when the client asked for a name, the requested address otherwise. So a
/// name that resolves into a listed network is caught by it, and a name whose address is not known
/// yet leaves a network condition undetermined rather than passed.
/// </summary>
public sealed class DestinationSet
{
    private readonly HostPattern[] _hosts;

    public DestinationSet(NetworkSet networks, IEnumerable<HostPattern> hosts)
    {
        ArgumentNullException.ThrowIfNull(networks);
        ArgumentNullException.ThrowIfNull(hosts);
        Networks = networks;
        _hosts = [.. hosts];
    }

    public NetworkSet Networks { get; }

    public IReadOnlyList<HostPattern> Hosts => _hosts;

    /// <summary>
    /// Items of a config array: an address or CIDR network ("10.0.0.0/8", "192.0.2.7", "::1") or a
    /// host pattern ("host.example.com", "*.example.com", ".example.com").
    /// </summary>
    public static bool TryParse(IEnumerable<string> items, [NotNullWhen(true)] out DestinationSet? set, out int errorIndex, out string? error)
    {
        ArgumentNullException.ThrowIfNull(items);
        set = null;
        errorIndex = -1;
        error = null;
        var networks = new List<IPNetwork>();
        var hosts = new List<HostPattern>();
        int index = 0;
        foreach (string item in items)
        {
            if (NetworkSyntax.LooksLikeAddress(item) || item.StartsWith('['))
            {
                if (!NetworkSyntax.TryParseNetwork(item, out IPNetwork network, out error))
                {
                    errorIndex = index;
                    return false;
                }

                networks.Add(network);
            }
            else
            {
                if (!HostPattern.TryParse(item, out HostPattern? pattern, out error))
                {
                    errorIndex = index;
                    return false;
                }

                hosts.Add(pattern);
            }

            index++;
        }

        if (index == 0)
        {
            error = "an empty destination list matches nothing; leave the key out to match every destination";
            return false;
        }

        set = new DestinationSet(new NetworkSet(networks), hosts);
        return true;
    }

    public static bool TryParse(string text, [NotNullWhen(true)] out DestinationSet? set, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text.Split(',', StringSplitOptions.TrimEntries), out set, out _, out error);
    }

    /// <summary>
    /// Finds where a destination falls, looking nothing up: host patterns are tried on
    /// <paramref name="name"/> (or on <paramref name="literal"/> when the destination is an address), then
    /// networks on <paramref name="compared"/>, the address actually used. A name whose address is not
    /// known yet (<paramref name="compared"/> null) against a set with networks is
    /// <see cref="RuleMatch.Undetermined"/>: the caller decides whether that means "ask again with the
    /// address" (the server) or "not matched" (the client router, which never resolves to decide).
    /// </summary>
    /// <param name="name">The host name asked for, or null when the destination is an address.</param>
    /// <param name="literal">The address asked for, or null when the destination is a name.</param>
    /// <param name="compared">The address to compare with the networks: the literal, or the name's resolved address; null when not known.</param>
    /// <returns>The match and what matched.</returns>
    public DestinationMatch Find(string? name, IPAddress? literal, IPAddress? compared)
    {
        foreach (HostPattern host in _hosts)
        {
            if (name is not null ? host.Matches(name) : literal is not null && host.Matches(literal))
            {
                return DestinationMatch.ByPattern(host);
            }
        }

        if (Networks.IsEmpty)
        {
            return DestinationMatch.None;
        }

        if (compared is null)
        {
            return DestinationMatch.NeedsAddress;
        }

        return Networks.TryFind(compared, out IPNetwork network) ? DestinationMatch.ByNetwork(network) : DestinationMatch.None;
    }

    /// <summary>Matches a request's destination; <paramref name="note"/> gets a reason when asked for.</summary>
    internal RuleMatch Match(AccessRequest request, IPAddress? checkedAddress, bool explain, out string? note)
    {
        string? name = request.Destination.Host;
        DestinationMatch found = Find(name, request.Destination.Address, checkedAddress);
        note = !explain ? null : found switch
        {
            { Pattern: { } host } => $"destination {name ?? request.Destination.Address?.ToString()} matches {host}",
            { Network: { } network } => $"destination {Describe(request, checkedAddress)} in {network}",
            { Result: RuleMatch.Undetermined } => $"destination {name} {NotInHosts()}and its address is not known yet to compare with {Networks}",
            _ => $"destination {Describe(request, checkedAddress)} not in {this}",
        };
        return found.Result;
    }

    public override string ToString()
    {
        var parts = _hosts.Select(h => h.ToString()).Concat(Networks.Networks.Select(n => n.ToString()));
        return "{" + string.Join(", ", parts) + "}";
    }

    private string NotInHosts() => _hosts.Length == 0 ? string.Empty : $"does not match {{{string.Join(", ", _hosts.Select(h => h.ToString()))}}}, ";

    private static string Describe(AccessRequest request, IPAddress? checkedAddress) =>
        request.Destination.Host is { } name
            ? checkedAddress is null ? name : $"{name} (resolved to {checkedAddress})"
            : checkedAddress?.ToString() ?? "?";
}
