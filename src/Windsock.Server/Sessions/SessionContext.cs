using Microsoft.Extensions.Logging;
using Windsock.Policy;
using Windsock.Server.Access;
using Windsock.Server.Authentication;
using Windsock.Server.Configuration;
using Windsock.Server.Gssapi;
using Windsock.Server.Hooks;
using Windsock.Server.Ident;
using Windsock.Server.Limits;
using Windsock.Server.Logging;
using Windsock.Server.Metrics;
using Windsock.Server.Outbound;
using Windsock.Server.Udp;

namespace Windsock.Server.Sessions;

/// <summary>What every session of one server shares: options, the user store, the connector and the logs.</summary>
public sealed class SessionContext : IAsyncDisposable
{
    public SessionContext(ServerOptions options, ICredentialVerifier? credentials, RequestLog requestLog, ILogger logger, TimeProvider time, IReadOnlyDictionary<string, IReadOnlyList<string>>? groups = null, ClientGuards? guards = null, ServerMetrics? metrics = null, UpstreamRoutes? previousRoutes = null)
    {
        Metrics = metrics ?? new ServerMetrics(time);
        Groups = groups ?? new Dictionary<string, IReadOnlyList<string>>();
        // SOCKS4 is refused when passwords are required: credentials come from a users file or PAM.
        Access = AccessGate.For(options, Groups, AccessGate.LocalAddresses(), passwordsRequired: credentials is not null);
        UdpDestinationFilter = Access;
        Options = options;
        Credentials = credentials;
        RequestLog = requestLog;
        // Client values (user names, host names, ident answers) are escaped in every diagnostic.
        Logger = EscapingLogger.Wrap(logger);
        Time = time;
        Guards = guards?.For(options.Limits) ?? new ClientGuards(options.Limits, time);
        Balancers = new NetworkSet(options.ProxyProtocolFrom);
        Routes = new UpstreamRoutes(options.Routes, options.ConnectTimeout, time, previousRoutes);
        Connector = new OutboundConnector(options.ConnectTimeout, time, Metrics, options.Outside, Routes, Logger);
        Hooks = new HookRunner(TimeSpan.FromSeconds(10), maxPerMinute: 30, concurrency: 2, time);
        Hooks.Completed += result => HookLog.Finished(Logger, result);
        // Lookups happen when ident is on globally or when any rule asks for it (the rule decides later).
        bool rulesWantIdent = Access.Rules.Rules.Any(rule => rule.Ident != IdentMode.Off);
        Ident = options.IdentMode == IdentMode.Off && !rulesWantIdent ? null : new IdentClient(options.IdentTimeout, options.IdentPort, time);
        UdpNames = new UdpNameCache(time, options.ConnectTimeout, Metrics);
        Deadlines = new DeadlineSources(time);
        if (options.Gssapi is { } gssapi && GssapiKeytab.Register(gssapi.Keytab) is { } error)
        {
            // The serve command checked the file; a library that still refuses it fails every GSSAPI client, loudly.
            GssapiLog.KeytabFailed(Logger, gssapi.Keytab, error);
        }
    }

    /// <summary>Runs notify hooks off the session path (bounded queue, rate and time limits).</summary>
    public HookRunner Hooks { get; }

    /// <summary>
    /// Queues a hook for a session event, with the event's request-log line on the hook's standard
    /// input, in the request log's format (a JSON object with <c>log_format = "json"</c>).
    /// </summary>
    public void RunHook(HookCommand? command, SessionRecord record)
    {
        if (command is not null)
        {
            Hooks.TryQueue(command, SessionHookValues.From(record), RequestLogFormatter.Format(Options.LogFormat, RequestLogEvent.Request, record, Time.GetUtcNow()));
        }
    }

    public ValueTask DisposeAsync() => Hooks.DisposeAsync();

    /// <summary>Set when ident lookups are on (SOCKS4 user ids are checked against the client host's identd).</summary>
    public IdentClient? Ident { get; }

    public ServerOptions Options { get; }

    /// <summary>When set, RFC 1929 username/password is required and SOCKS4 is refused.</summary>
    public ICredentialVerifier? Credentials { get; }

    public RequestLog RequestLog { get; }

    public ILogger Logger { get; }

    public TimeProvider Time { get; }

    /// <summary>server.proxy_protocol_from: peers whose connections must start with a PROXY header (and the only ones that may).</summary>
    public NetworkSet Balancers { get; }

    /// <summary>
    /// Per-source caps and the login throttle. Pass the running context's to the next on reload: the
    /// counts describe open sessions and recent failures, which a reload does not end.
    /// </summary>
    public ClientGuards Guards { get; }

    public OutboundConnector Connector { get; }

    /// <summary>
    /// The upstream routes ([[route]]) with their chains' health. Pass the running context's to the next on reload:
    /// a route whose chains did not change keeps their health.
    /// </summary>
    public UpstreamRoutes Routes { get; }

    /// <summary>
    /// The instruments and the live session list. Pass the running context's to the next on reload, as
    /// <see cref="Guards"/>: counters and open sessions outlive a configuration.
    /// </summary>
    public ServerMetrics Metrics { get; }

    /// <summary>Reused sources for handshake deadlines: nothing of a session's handshake stays reachable during its relay.</summary>
    internal DeadlineSources Deadlines { get; }

    /// <summary>Destination names of UDP datagrams, resolved and kept briefly, shared by all associations.</summary>
    public UdpNameCache UdpNames { get; }

    /// <summary>
    /// Where every UDP datagram's destination is decided: the access rules. Tests may set their own before the
    /// server starts accepting; an association keeps the filter it started with.
    /// </summary>
    public IUdpDestinationFilter UdpDestinationFilter { get; set; }

    /// <summary>User name → groups, from the groups file.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Groups { get; }

    /// <summary>The access policy: every request, resolved address, BIND peer and UDP datagram is decided here.</summary>
    public AccessGate Access { get; }
}
