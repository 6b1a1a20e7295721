using System.Globalization;
using System.Net;
using Windsock.Policy;

namespace Windsock.Client.Routing;

/// <summary>
/// One [[rule]] of the routing file. It matches when the local user is in <see cref="Users"/>, the
/// destination is in <see cref="To"/> and the port is in <see cref="Ports"/> (each when given); a rule
/// with none of them matches everything.
/// </summary>
/// <remarks>
/// Host patterns match the name as the program asked for it; networks match only destinations given
/// as addresses. The router does no DNS of its own to decide (that would leak the names that socks5h
/// and socks4a keep away from the local resolver), so a name never falls into a network.
/// </remarks>
public sealed class RoutingRule
{
    internal RoutingRule(int number, string? name, SourceLocation location, Route route, DestinationSet? to, PortSet? ports)
    {
        ArgumentNullException.ThrowIfNull(route);
        Number = number;
        Name = name;
        Location = location;
        Route = route;
        To = to;
        Ports = ports;
    }

    /// <summary>Position among the rules of the file, from 1.</summary>
    public int Number { get; }

    /// <summary>The rule's <c>name</c>, for messages; null when the file gives none.</summary>
    public string? Name { get; }

    /// <summary>The routing file the rule is in.</summary>
    public string File => Location.File;

    /// <summary>The line of the rule's <c>[[rule]]</c> header, from 1.</summary>
    public int Line => Location.Line;

    /// <summary>The column of the rule's <c>[[rule]]</c> header, from 1.</summary>
    public int Column => Location.Column;

    internal SourceLocation Location { get; }

    /// <summary>What the rule decides, with <see cref="Route.Origin"/> naming this rule.</summary>
    public Route Route { get; }

    /// <summary>The rule's <c>to</c>: host patterns and networks; null matches every destination.</summary>
    internal DestinationSet? To { get; }

    /// <summary>
    /// True when the rule names destinations (<c>to</c>); false for a catch-all rule. A tool that keeps local
    /// connections direct unless a rule names them (<c>windsock run</c>) tells the two apart with this.
    /// </summary>
    public bool NamesDestinations => To is not null;

    /// <summary>The rule's <c>ports</c>; null matches every port.</summary>
    internal PortSet? Ports { get; }

    /// <summary>Local user names the rule applies to (the old socks.conf's <c>*=userlist</c>); null for every user.</summary>
    public IReadOnlyList<string>? Users { get; internal init; }

    /// <summary>The account this process runs as, which <see cref="Users"/> is compared with.</summary>
    public static string LocalUser => Environment.UserName;

    /// <summary>As <see cref="Matches(string, int)"/>, for a given local user (tests, or a service acting for a user).</summary>
    /// <param name="host">A name or an address literal, IPv6 with or without brackets.</param>
    /// <param name="port">The destination port.</param>
    /// <param name="localUser">The local account compared with <see cref="Users"/>.</param>
    /// <returns>True when the rule decides for this destination and user.</returns>
    /// <exception cref="ArgumentException"><paramref name="host"/> is null, empty or white space.</exception>
    public bool Matches(string host, int port, string localUser) =>
        (Users is null || Users.Contains(localUser, StringComparer.Ordinal)) && MatchesDestination(host, port);

    /// <summary>Does this rule decide for <paramref name="host"/> and <paramref name="port"/>, for the user this process runs as?</summary>
    /// <param name="host">A name or an address literal, IPv6 with or without brackets.</param>
    /// <param name="port">The destination port.</param>
    /// <returns>True when the rule decides for this destination.</returns>
    /// <exception cref="ArgumentException"><paramref name="host"/> is null, empty or white space.</exception>
    public bool Matches(string host, int port) => Matches(host, port, LocalUser);

    private bool MatchesDestination(string host, int port)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        if (Ports is not null && (port is < 0 or > ushort.MaxValue || !Ports.Contains((ushort)port)))
        {
            return false;
        }

        if (To is null)
        {
            return true;
        }

        return FindDestination(host).Result == RuleMatch.Matched;
    }

    /// <summary>
    /// The destination through Policy's matcher, the one the server's rules use. A name is compared with
    /// no address (the router does no DNS to decide), so a name against networks comes back undetermined,
    /// which the router counts as not matched.
    /// </summary>
    private DestinationMatch FindDestination(string host)
    {
        bool literal = Destination.TryParseAddress(host, out IPAddress? address);
        return To!.Find(literal ? null : host, address, address);
    }

    /// <summary>
    /// As <see cref="Matches(string, int)"/>, and why: "port 22 not in {80,443}", "git.corp.example matches .corp.example",
    /// "www.example.org is a name, and a name is never in a network (no DNS to decide): not in {10.0.0.0/8}".
    /// </summary>
    /// <param name="host">A name or an address literal, IPv6 with or without brackets.</param>
    /// <param name="port">The destination port.</param>
    /// <param name="reason">Why the rule matches or does not.</param>
    /// <returns>True when the rule decides for this destination.</returns>
    /// <exception cref="ArgumentException"><paramref name="host"/> is null, empty or white space.</exception>
    public bool Explain(string host, int port, out string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        var notes = new List<string>();
        if (Users is not null)
        {
            bool listed = Users.Contains(LocalUser, StringComparer.Ordinal);
            string userNote = $"local user {LocalUser} {(listed ? "in" : "not in")} {{{string.Join(",", Users)}}}";
            if (!listed)
            {
                reason = userNote;
                return false;
            }

            notes.Add(userNote);
        }

        if (Ports is not null)
        {
            bool inPorts = port is >= 0 and <= ushort.MaxValue && Ports.Contains((ushort)port);
            string portNote = string.Create(CultureInfo.InvariantCulture, $"port {port} {(inPorts ? "in" : "not in")} {Ports}");
            if (!inPorts)
            {
                reason = portNote;
                return false;
            }

            notes.Add(portNote);
        }

        if (To is null)
        {
            notes.Add(Ports is null ? "no to and no ports: every destination" : "no to: every host");
            reason = string.Join("; ", notes);
            return true;
        }

        string shown = host.Length > 2 && host[0] == '[' && host[^1] == ']' ? host[1..^1] : host;
        DestinationMatch found = FindDestination(host);
        string? why = found switch
        {
            { Network: { } network } => $"{shown} in {network}",
            { Pattern: { } pattern } => pattern.Kind == HostPatternKind.Address ? $"{shown} is {pattern}" : $"{shown} matches {pattern}",
            _ => null,
        };
        if (why is null)
        {
            reason = found.Result == RuleMatch.Undetermined
                ? $"{shown} not in {To} (a name is never in a network: the router does no DNS to decide)"
                : $"{shown} not in {To}";
            return false;
        }

        notes.Add(why);
        reason = string.Join("; ", notes);
        return true;
    }

    /// <summary>"rule 3 "corp" (client.toml:12:1)".</summary>
    /// <returns>The rule's number, name and position.</returns>
    public override string ToString() => Describe(Number, Name, Location);

    internal static string Describe(int number, string? name, SourceLocation location) =>
        string.Create(CultureInfo.InvariantCulture, $"rule {number}{(name is null ? "" : $" \"{name}\"")} ({location})");
}
