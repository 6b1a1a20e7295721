using System.Collections.Concurrent;
using System.Net;
using System.Net.NetworkInformation;
using Windsock.Policy;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Server.Configuration;
using Windsock.Server.Hooks;
using Windsock.Server.Sessions;

namespace Windsock.Server.Access;

/// <summary>
/// Where the server asks the policy engine: it describes a session's request (who, from where,
/// to where, which command) as an <see cref="AccessRequest"/>, decides it, and runs the deciding
/// rule's notify hooks. Requests, each connection attempt to a resolved address, every BIND peer
/// and every UDP datagram come through here.
/// </summary>
public sealed class AccessGate
{
    private readonly PolicyEngine _engine;
    private readonly RuleSet _rules;
    private readonly IReadOnlyDictionary<string, IReadOnlyList<string>> _groups;
    private readonly IReadOnlyCollection<IPAddress> _serverAddresses;
    private readonly ConcurrentDictionary<string, HookCommand?> _hookCommands = new(StringComparer.Ordinal);

    public AccessGate(RuleSet rules, IReadOnlyDictionary<string, IReadOnlyList<string>> groups, IReadOnlyCollection<IPAddress> serverAddresses)
    {
        _rules = rules;
        _engine = new PolicyEngine(rules);
        _groups = groups;
        _serverAddresses = serverAddresses;
    }

    /// <summary>
    /// The rules in force: the configured ones, or (without any [[rule]]) one rule allowing the
    /// <c>allowed_clients</c> networks everywhere, so that the safe default still guards the proxy host.
    /// </summary>
    public static RuleSet EffectiveRules(ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Rules ?? new RuleSet(
        [
            new AccessRule
            {
                Action = RuleAction.Allow,
                Name = "allowed_clients",
                From = new Policy.NetworkSet(options.AllowedClients),
            },
        ]);
    }

    /// <summary>The addresses of this host's interfaces: destinations the safe default protects.</summary>
    public static IReadOnlyCollection<IPAddress> LocalAddresses()
    {
        try
        {
            return [.. NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(i => i.GetIPProperties().UnicastAddresses)
                .Select(a => a.Address)
                .Where(a => !a.IsIPv6LinkLocal || a.ScopeId == 0)];
        }
        catch (NetworkInformationException)
        {
            return [];
        }
    }

    public RuleSet Rules => _rules;

    public AccessRequest Describe(SessionRecord record, SocksVersion version, PolicyCommand command, SocksEndpoint destination, IPAddress? resolved = null, bool associationSetup = false)
    {
        ArgumentNullException.ThrowIfNull(record);
        var method = record.AuthMethod switch
        {
            "username" => AuthMethod.UsernamePassword,
            "gssapi" => AuthMethod.Gssapi,
            _ => AuthMethod.None,
        };
        bool authenticated = method != AuthMethod.None;
        // A SOCKS4 user id is a claim; it names a user only when the client host's identd confirmed it.
        string? user = authenticated
            ? record.User
            : (version == SocksVersion.Socks4 && record.User is not null && string.Equals(record.User, record.IdentUser, StringComparison.Ordinal) ? record.User : null);
        return new AccessRequest
        {
            User = user,
            Groups = user is not null && _groups.TryGetValue(user, out var groups) ? [.. groups] : [],
            Method = method,
            Version = version,
            Command = command,
            ClientAddress = record.Client.Address,
            ClientPort = (ushort)record.Client.Port,
            Destination = destination,
            ResolvedAddress = resolved,
            AssociationSetup = associationSetup,
            ServerAddresses = _serverAddresses,
        };
    }

    public Decision Decide(AccessRequest request) => _engine.Decide(request);

    /// <summary>The decisions for the datagrams of one UDP association (SOCKS5 only), described once.</summary>
    internal UdpDatagramPolicy ForUdpAssociation(SessionRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var association = Describe(record, SocksVersion.Socks5, PolicyCommand.UdpAssociate, SocksEndpoint.FromAddress(IPAddress.Any, 0));
        return new UdpDatagramPolicy(this, association);
    }

    /// <summary>
    /// Decides a name's request (whose decision waited for its addresses) on each address it resolved to, in
    /// the resolver's order: the first allowing decision and every allowed address, or, when none is allowed,
    /// the last denial (as CONNECT answers when it skipped every address). <paramref name="addresses"/> is not empty.
    /// </summary>
    public (Decision Decision, IPAddress[] Allowed) DecideEach(AccessRequest request, IReadOnlyList<IPAddress> addresses)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(addresses);
        ArgumentOutOfRangeException.ThrowIfZero(addresses.Count);
        Decision? first = null;
        Decision? last = null;
        var allowed = new List<IPAddress>(addresses.Count);
        foreach (var address in addresses)
        {
            var decision = _engine.Decide(request with { ResolvedAddress = address });
            if (decision.IsAllowed)
            {
                first ??= decision;
                allowed.Add(address);
            }
            else
            {
                last = decision;
            }
        }

        return (first ?? last!, [.. allowed]);
    }

    /// <summary>
    /// Records the decision on the session and runs its hooks. <see cref="Decision.Notify"/> is the whole list: the
    /// engine already puts <c>notify_denied</c> behind the rule's own commands for a denial, so each runs once.
    /// </summary>
    public void Apply(Decision decision, SessionRecord record, SessionContext context)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(context);
        if (decision.Outcome == DecisionOutcome.NeedsAddress)
        {
            return;
        }

        record.Rule = decision.DecidedBy;
        foreach (var text in decision.Notify)
        {
            context.RunHook(Hook(text), record);
        }
    }

    /// <summary>The SOCKS5 reply code of a denial (SOCKS4 clients get 91 whatever it is).</summary>
    public static Socks5ReplyCode ReplyCode(Decision decision) => decision.Reply.Socks5Code;

    // Commands were validated when the configuration was read; the cache keeps parsing off the session path.
    private HookCommand? Hook(string text) => _hookCommands.GetOrAdd(text, t => HookCommand.TryParse(t, out var command, out _) ? command : null);
}
