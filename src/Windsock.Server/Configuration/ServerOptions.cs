using System.Net;
using Windsock.Policy;
using Windsock.Server.Accounts;
using Windsock.Server.Hooks;
using Windsock.Server.Ident;
using Windsock.Server.Relay;

namespace Windsock.Server.Configuration;

/// <summary>
/// Everything the server needs to run, after the configuration file and the command-line flags
/// have been read and validated. Immutable: a reload builds a new instance.
/// </summary>
public sealed record ServerOptions
{
    /// <summary>The embedded default: loopback only, on both address families, no authentication.</summary>
    public static ServerOptions Default { get; } = new();

    public const int DefaultPort = 1080;

    /// <summary>Addresses to listen on. Port 0 asks the system for a free port (tests use it).</summary>
    public IReadOnlyList<IPEndPoint> Listen { get; init; } =
        [new IPEndPoint(IPAddress.Loopback, DefaultPort), new IPEndPoint(IPAddress.IPv6Loopback, DefaultPort)];

    /// <summary>Client networks allowed to use the server at all; others are closed on accept.</summary>
    public IReadOnlyList<IPNetwork> AllowedClients { get; init; } =
        [IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("::1/128")];

    /// <summary>
    /// Balancer networks (<c>proxy_protocol_from</c>): a connection from one must start with a PROXY protocol
    /// header (v1 or v2), whose client address then stands for the connection everywhere; a header from
    /// anyone else is refused. Empty (the default): no connection may send one.
    /// </summary>
    public IReadOnlyList<IPNetwork> ProxyProtocolFrom { get; init; } = [];

    /// <summary>When set, username/password (RFC 1929) is required and SOCKS4 is refused.</summary>
    public string? UsersFile { get; init; }

    /// <summary>
    /// The PAM service that checks passwords of users not in <see cref="UsersFile"/> (system
    /// accounts, LDAP, ...). When set, username/password is required as with a users file.
    /// </summary>
    public string? PamService { get; init; }

    /// <summary>Whether clients must log in with username/password: a users file, a PAM service, or both.</summary>
    public bool RequiresPassword => UsersFile is not null || PamService is not null;

    public LogFormat LogFormat { get; init; } = LogFormat.Text;

    /// <summary>The source address per family towards destinations (the <c>[outside]</c> section).</summary>
    public OutsideAddresses Outside { get; init; } = OutsideAddresses.None;

    /// <summary>The upstream routes (<c>[[route]]</c> tables) that rules' <c>via</c> name, in file order.</summary>
    public IReadOnlyList<UpstreamRouteOptions> Routes { get; init; } = [];

    /// <summary>The diagnostic log's level and the request log's file (the <c>[log]</c> section).</summary>
    public LogOptions Log { get; init; } = LogOptions.Default;

    /// <summary>Time allowed from accept to a decided request (greeting, authentication, request).</summary>
    public TimeSpan NegotiationTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Time allowed to establish the outbound connection, across every address a name resolves to.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>A relay with no traffic either way for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromHours(1);

    /// <summary>On SIGTERM/Ctrl-C, how long running sessions may drain before they are cut.</summary>
    public TimeSpan ShutdownGrace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Bytes per relay direction, rented only while data flows.</summary>
    public int RelayBufferSize { get; init; } = 64 * 1024;

    /// <summary>splice(2) on Linux (copy elsewhere), or always the copy loop.</summary>
    public RelayMode RelayMode { get; init; } = RelayMode.Splice;

    /// <summary>
    /// The administrator's explicit consent to serve non-loopback clients without authentication
    /// (`allow_open_proxy = true`). Without it such a configuration refuses to start.
    /// </summary>
    public bool AllowOpenProxy { get; init; }

    /// <summary>
    /// The account a server started as root switches to once its listeners are bound (<c>[server] user</c>
    /// and <c>group</c>), for systems without systemd's User=; null: keep the account it was started as.
    /// </summary>
    public UnixAccount? RunAs { get; init; }

    /// <summary>RFC 1413 lookups for SOCKS4 requests: off, check (refuse on contradiction) or require (also refuse when no answer).</summary>
    public IdentMode IdentMode { get; init; } = IdentMode.Off;

    /// <summary>How long to wait for the client host's identd.</summary>
    public TimeSpan IdentTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The identd port on client hosts: 113 everywhere but in tests.</summary>
    public int IdentPort { get; init; } = IdentClient.DefaultPort;

    /// <summary>Run when ident finds no answer for a request (the old sockd's #NO_IDENTD line).</summary>
    public HookCommand? IdentUnreachableHook { get; init; }

    /// <summary>Run when the identd names another user than the request (the old sockd's #BAD_ID line).</summary>
    public HookCommand? IdentMismatchHook { get; init; }

    /// <summary>UDP ASSOCIATE: the advertised relay address, the association idle time, the relay ports.</summary>
    public UdpOptions Udp { get; init; } = new();

    /// <summary>BIND: listen address, port range, peer check and timeout (the <c>[bind]</c> section).</summary>
    public BindOptions Bind { get; init; } = BindOptions.Default;

    /// <summary>Limits of PING and TRACEROUTE sessions.</summary>
    public PingOptions Ping { get; init; } = PingOptions.Default;

    /// <summary>Per-client caps and the login throttle (fixed defaults; not in the configuration file yet).</summary>
    public ClientLimits Limits { get; init; } = ClientLimits.Default;

    /// <summary>
    /// The access rules ([[rule]] tables and [access]). Null when the file has none: then every client
    /// that <see cref="AllowedClients"/> admits may go anywhere the safe default allows.
    /// </summary>
    public RuleSet? Rules { get; init; }

    /// <summary>GSSAPI (RFC 1961) with Kerberos, the <c>[gssapi]</c> section; null when the method is off.</summary>
    public GssapiOptions? Gssapi { get; init; }

    /// <summary>True when clients must authenticate: a users file, PAM or GSSAPI is configured.</summary>
    public bool RequiresAuthentication => RequiresPassword || Gssapi is not null;

    /// <summary>The admin listener (<c>[admin]</c>): metrics, status API and page; null when off, the default.</summary>
    public AdminOptions? Admin { get; init; }

    /// <summary>Group file (<c>group: user1, user2</c> lines) for rules that name groups.</summary>
    public string? GroupsFile { get; init; }

    /// <summary>Where each setting came from, for error messages ("windsock.toml:4:1" or "--listen").</summary>
    public IReadOnlyDictionary<string, string> Origins { get; init; } = new Dictionary<string, string>();
}

public enum LogFormat
{
    Text,
    Json,
}
