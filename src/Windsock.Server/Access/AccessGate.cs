using System.Collections.Concurrent;
using System.Net;
using System.Net.NetworkInformation;
using Windsock.Policy;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Server.Configuration;
using Windsock.Server.Hooks;
using Windsock.Server.Sessions;
using Windsock.Server.Udp;

namespace Windsock.Server.Access;

/// <summary>
/// The one decision seam: the only code that asks the policy engine. It admits or closes a client
/// (<c>allowed_clients</c>), refuses a SOCKS version the authentication set-up rules out, describes a
/// session's request (who, from where, to where, which command) as an <see cref="AccessRequest"/> and
/// decides it, then each resolved address, every BIND peer, every UDP datagram and every RESOLVE
/// answer; and it records the deciding rule and runs its notify hooks. <c>windsock check</c> builds
/// the same gate from the same configuration (<see cref="For"/>), so the two cannot disagree.
/// </summary>
public sealed class AccessGate : IUdpDestinationFilter
{
    private readonly PolicyEngine _engine;
    private readonly RuleSet _rules;
    private readonly IReadOnlyDictionary<string, IReadOnlyList<string>> _groups;
    private readonly IReadOnlyCollection<IPAddress> _serverAddresses;
    private readonly NetworkSet? _allowedClients;
    private readonly string? _socks4Refusal;
    private readonly ConcurrentDictionary<string, HookCommand?> _hookCommands = new(StringComparer.Ordinal);

    // Set once, when a reload puts another gate in force: running UDP associations follow it.
    private AccessGate? _successor;

    /// <summary>The rules alone: every client and version admitted (unit tests of the rules' decisions).</summary>
    public AccessGate(RuleSet rules, IReadOnlyDictionary<string, IReadOnlyList<string>> groups, IReadOnlyCollection<IPAddress> serverAddresses)
        : this(rules, groups, serverAddresses, null, null)
    {
    }

    private AccessGate(RuleSet rules, IReadOnlyDictionary<string, IReadOnlyList<string>> groups, IReadOnlyCollection<IPAddress> serverAddresses, NetworkSet? allowedClients, string? socks4Refusal)
    {
        _rules = rules;
        _engine = new PolicyEngine(rules);
        _groups = groups;
        _serverAddresses = serverAddresses;
        _allowedClients = allowedClients;
        _socks4Refusal = socks4Refusal;
    }

    /// <summary>
    /// The gate a server with these options runs: its rules (<see cref="EffectiveRules"/>), <c>allowed_clients</c>,
    /// and SOCKS4 refused when passwords (<paramref name="passwordsRequired"/>: a users file or PAM) or GSSAPI are.
    /// </summary>
    public static AccessGate For(ServerOptions options, IReadOnlyDictionary<string, IReadOnlyList<string>> groups, IReadOnlyCollection<IPAddress> serverAddresses, bool passwordsRequired)
    {
        ArgumentNullException.ThrowIfNull(options);
        string? socks4Refusal = options.Gssapi is not null
            ? "SOCKS4 refused: the server requires authentication (gssapi" + (passwordsRequired ? " or username/password)" : ")")
            : passwordsRequired ? "SOCKS4 refused: the server requires username/password" : null;
        return new AccessGate(EffectiveRules(options), groups, serverAddresses, new NetworkSet(options.AllowedClients), socks4Refusal);
    }

    /// <summary>Why a connection from this address is closed before its first byte is read; null when it is admitted.</summary>
    public string? RefuseClient(IPAddress client) =>
        _allowedClients is { } allowed && !allowed.Contains(client) ? "client address not allowed" : null;

    /// <summary>
    /// Why a request in this dialect is refused before the rules see it (SOCKS4 cannot authenticate, so a server
    /// that requires it answers 91); null when the dialect is served.
    /// </summary>
    public string? RefuseVersion(SocksVersion version) => version == SocksVersion.Socks4 ? _socks4Refusal : null;

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

    /// <summary>The groups a user is in (from the groups file); empty for an unknown user or none.</summary>
    public IReadOnlyList<string> GroupsOf(string? user) => user is not null && _groups.TryGetValue(user, out var groups) ? [.. groups] : [];

    private AccessRequest Describe(SessionRecord record, SocksVersion version, PolicyCommand command, SocksEndpoint destination, IPAddress? resolved = null, bool associationSetup = false)
    {
        ArgumentNullException.ThrowIfNull(record);
        var method = record.AuthMethod is AuthMethod.UsernamePassword or AuthMethod.Gssapi ? record.AuthMethod.Value : AuthMethod.None;
        bool authenticated = method != AuthMethod.None;
        // A SOCKS4 user id is a claim; it names a user only when the client host's identd confirmed it.
        string? user = authenticated
            ? record.User
            : (version == SocksVersion.Socks4 && record.User is not null && string.Equals(record.User, record.IdentUser, StringComparison.Ordinal) ? record.User : null);
        return new AccessRequest
        {
            User = user,
            Groups = GroupsOf(user),
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

    /// <summary>
    /// Decides a session's request. When the decision waits for an address (a name that rules check by network),
    /// the outcome is <see cref="DecisionOutcome.NeedsAddress"/> and <see cref="RequestDecision.Pending"/> is what
    /// the command hands back with each address it finds (<see cref="DecideAddress"/>, <see cref="DecideEach"/>).
    /// </summary>
    public RequestDecision DecideRequest(SessionRecord record, SocksVersion version, PolicyCommand command, SocksEndpoint destination)
    {
        var access = Describe(record, version, command, destination, associationSetup: command == PolicyCommand.UdpAssociate);
        return new RequestDecision(_engine.Decide(access), access);
    }

    /// <summary>A pending request decided on one address its name resolved to (CONNECT's each attempt, RESOLVE's answer).</summary>
    public Decision DecideAddress(AccessRequest pending, IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(pending);
        return _engine.Decide(pending with { ResolvedAddress = address });
    }

    /// <summary>The peer that connects to a BIND listener is a destination too: the rules decide it as <c>bind</c>.</summary>
    public bool AllowsBindPeer(SessionRecord record, SocksVersion version, IPEndPoint peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        return _engine.Decide(Describe(record, version, PolicyCommand.Bind, SocksEndpoint.FromEndPoint(peer), peer.Address)).IsAllowed;
    }

    /// <summary>A request decided rule by rule (<c>windsock check</c>): the same engine and inputs as <see cref="Decide"/>.</summary>
    public Explanation Explain(AccessRequest request) => _engine.Explain(request);

    /// <summary>A described request decided as it is (<c>windsock check</c>, and each datagram of an association).</summary>
    public Decision Decide(AccessRequest request) => _engine.Decide(request);

    /// <summary>The server's datagram filter: the access rules, command <c>udp</c>.</summary>
    IUdpDatagramDecisions IUdpDestinationFilter.ForAssociation(SessionRecord session) => ForUdpAssociation(session);

    /// <summary>The decisions for the datagrams of one UDP association (SOCKS5 only), described once per gate in force.</summary>
    internal UdpDatagramPolicy ForUdpAssociation(SessionRecord record) => new(this, record);

    /// <summary>One UDP association described as a request; each datagram's destination replaces its own.</summary>
    internal AccessRequest DescribeUdpAssociation(SessionRecord record) =>
        Describe(record, SocksVersion.Socks5, PolicyCommand.UdpAssociate, SocksEndpoint.FromAddress(IPAddress.Any, 0));

    /// <summary>
    /// A reload put <paramref name="next"/> in force. Sessions keep the gate they started with, except for the
    /// destinations of UDP datagrams, each a decision of its own: those follow <see cref="Latest"/>.
    /// </summary>
    public void SupersedeWith(AccessGate next)
    {
        ArgumentNullException.ThrowIfNull(next);
        if (!ReferenceEquals(next, this))
        {
            Volatile.Write(ref _successor, next);
        }
    }

    /// <summary>The gate in force now: this one, or the last that replaced it. One read while no reload happened.</summary>
    internal AccessGate Latest
    {
        get
        {
            var gate = this;
            while (Volatile.Read(ref gate._successor) is { } next)
            {
                gate = next;
            }

            return gate;
        }
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
            var decision = DecideAddress(request, address);
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

    /// <summary>
    /// Records a denial on the session (its reason, the deciding rule), runs its hooks and logs it at the rule's level.
    /// The caller answers the client as <see cref="Decision.Reply"/> says.
    /// </summary>
    public void Refuse(Decision decision, SessionRecord record, SessionContext context)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(context);
        record.EndReason = $"denied: {decision.Reason}";
        Apply(decision, record, context);
        AccessLog.Denied(context.Logger, decision.LogLevel, record.Id, record.Client, decision.DecidedBy, decision.Reason);
    }

    /// <summary>The SOCKS5 reply code of a denial (SOCKS4 clients get 91 whatever it is).</summary>
    public static Socks5ReplyCode ReplyCode(Decision decision) => decision.Reply.Socks5Code;

    // Commands were validated when the configuration was read; the cache keeps parsing off the session path.
    private HookCommand? Hook(string text) => _hookCommands.GetOrAdd(text, t => HookCommand.TryParse(t, out var command, out _) ? command : null);
}
