using System.Globalization;
using System.Net;

namespace Windsock.Policy;

/// <summary>
/// One access rule. Every condition left null matches every request; a rule with no conditions
/// matches everything. The fields after the conditions say what happens when the rule decides.
/// </summary>
public sealed class AccessRule
{
    public required RuleAction Action { get; init; }

    /// <summary>An optional label for logs ("staff-web").</summary>
    public string? Name { get; init; }

    /// <summary>Where the rule was written; shown in explanations.</summary>
    public SourceLocation Location { get; init; } = SourceLocation.None;

    // Conditions.
    public UserSet? Users { get; init; }

    public AuthMethodSet? Methods { get; init; }

    public VersionSet? Versions { get; init; }

    public CommandSet? Commands { get; init; }

    /// <summary>Client networks.</summary>
    public NetworkSet? From { get; init; }

    /// <summary>Client source ports.</summary>
    public PortSet? FromPorts { get; init; }

    /// <summary>Destination networks and host patterns.</summary>
    public DestinationSet? To { get; init; }

    /// <summary>Destination ports.</summary>
    public PortSet? Ports { get; init; }

    // What happens.

    /// <summary>How a denial by this rule is answered; ignored for allow rules.</summary>
    public DenyReply Reply { get; init; } = DenyReply.NotAllowed;

    /// <summary>The reason written to the request log (and given to hooks). Null: a generated one.</summary>
    public string? Reason { get; init; }

    public RuleLogLevel LogLevel { get; init; } = RuleLogLevel.Info;

    /// <summary>Commands to run when this rule decides a request; the server expands substitutions.</summary>
    public IReadOnlyList<string> Notify { get; init; } = [];

    public IdentMode Ident { get; init; } = IdentMode.Off;

    /// <summary>
    /// The upstream route (a <c>[[route]]</c> name) an allowed CONNECT goes through instead of connecting
    /// directly; null: direct. The policy only carries it: the server knows the routes.
    /// </summary>
    public string? Via { get; init; }

    /// <summary>
    /// The source addresses, at most one per family, an allowed direct connection leaves from (instead of
    /// the [outside] address of that family); empty: [outside] or the routing table chooses.
    /// </summary>
    public IReadOnlyList<IPAddress> Sources { get; init; } = [];

    /// <summary>
    /// Matches the request. With <paramref name="notes"/> given, collects a phrase per condition
    /// (all failing ones when the rule does not match, every checked one when it does); without,
    /// stops at the first failing condition and allocates nothing.
    /// </summary>
    internal RuleMatch Match(AccessRequest request, IPAddress? checkedAddress, List<string>? notes)
    {
        bool explain = notes is not null;
        List<string>? failed = explain ? [] : null;
        List<string>? passed = explain ? [] : null;
        bool undetermined = false;

        if (Users is not null)
        {
            bool ok = Users.Matches(request.User, request.Groups);
            if (!ok && !explain)
            {
                return RuleMatch.NotMatched;
            }

            if (explain)
            {
                (ok ? passed! : failed!).Add(
                    ok ? $"user {request.User} in {Users}"
                    : request.User is null ? $"no authenticated user, and the rule names {Users}"
                    : $"user {request.User} not in {Users}");
            }
        }

        if (Methods is not null)
        {
            bool ok = Methods.Contains(request.Method);
            if (!ok && !explain)
            {
                return RuleMatch.NotMatched;
            }

            if (explain)
            {
                (ok ? passed! : failed!).Add($"method {AuthMethodSet.Name(request.Method)} {In(ok)} {Methods}");
            }
        }

        if (Versions is not null)
        {
            bool ok = Versions.Matches(request.Version, request.Destination.IsHostName);
            if (!ok && !explain)
            {
                return RuleMatch.NotMatched;
            }

            if (explain)
            {
                (ok ? passed! : failed!).Add($"version {request.VersionName} {In(ok)} {Versions}");
            }
        }

        if (Commands is not null)
        {
            bool ok = Commands.Contains(request.Command);
            if (!ok && !explain)
            {
                return RuleMatch.NotMatched;
            }

            if (explain)
            {
                (ok ? passed! : failed!).Add($"command {request.Command.Name()} {In(ok)} {Commands}");
            }
        }

        if (From is not null)
        {
            bool ok = From.Contains(request.ClientAddress);
            if (!ok && !explain)
            {
                return RuleMatch.NotMatched;
            }

            if (explain)
            {
                (ok ? passed! : failed!).Add($"client {ProtectedDestinations.Normalize(request.ClientAddress)} {In(ok)} {{{From}}}");
            }
        }

        if (FromPorts is not null)
        {
            bool ok = FromPorts.Contains(request.ClientPort);
            if (!ok && !explain)
            {
                return RuleMatch.NotMatched;
            }

            if (explain)
            {
                (ok ? passed! : failed!).Add($"client port {Port(request.ClientPort)} {In(ok)} {FromPorts}");
            }
        }

        if (request.AssociationSetup && (To is not null || Ports is not null))
        {
            if (Action == RuleAction.Deny)
            {
                notes?.Add("the rule's destination conditions apply to each datagram, not to setting up the association");
                return RuleMatch.NotMatched;
            }

            passed?.Add("destination conditions are checked for each datagram");
        }
        else if (To is not null)
        {
            RuleMatch destination = To.Match(request, checkedAddress, explain, out string? note);
            if (explain)
            {
                (destination == RuleMatch.NotMatched ? failed! : passed!).Add(note!);
            }
            else if (destination == RuleMatch.NotMatched)
            {
                return RuleMatch.NotMatched;
            }

            undetermined = destination == RuleMatch.Undetermined;
        }

        if (Ports is not null && !request.AssociationSetup)
        {
            bool ok = Ports.Contains(request.Destination.Port);
            if (!ok && !explain)
            {
                return RuleMatch.NotMatched;
            }

            if (explain)
            {
                (ok ? passed! : failed!).Add($"destination port {Port(request.Destination.Port)} {In(ok)} {Ports}");
            }
        }

        if (explain)
        {
            if (failed!.Count > 0)
            {
                notes!.AddRange(failed);
                return RuleMatch.NotMatched;
            }

            notes!.AddRange(passed!.Count > 0 ? passed : ["the rule has no conditions"]);
        }

        return undetermined ? RuleMatch.Undetermined : RuleMatch.Matched;
    }

    /// <summary>"rule 3 (windsock.toml:14:1)" or "rule 3 \"staff-web\" (windsock.toml:14:1)".</summary>
    public string Describe(int number)
    {
        // Every session a rule decides records this text (the request log's rule field): made once per number, not
        // per session. A rule has one number in the rule set it is in; the last one described is kept.
        if (Volatile.Read(ref _described) is { } described && described.Number == number)
        {
            return described.Text;
        }

        string text = Name is null
            ? string.Create(CultureInfo.InvariantCulture, $"rule {number} ({Location})")
            : string.Create(CultureInfo.InvariantCulture, $"rule {number} \"{Name}\" ({Location})");
        Volatile.Write(ref _described, new Description(number, text));
        return text;
    }

    private Description? _described;

    private sealed record Description(int Number, string Text);

    private static string In(bool ok) => ok ? "in" : "not in";

    private static string Port(ushort port) => ServiceNames.NameOf(port) is { } name
        ? string.Create(CultureInfo.InvariantCulture, $"{port} ({name})")
        : port.ToString(CultureInfo.InvariantCulture);
}
