using System.Net;
using Windsock.Policy;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;

namespace Windsock.Server.Sessions;

/// <summary>
/// Everything the request log says about one client connection. It travels through the session's
/// steps, each filling in what it learns, and is written by <see cref="Steps.RecordStep"/>: once when the
/// request is decided and once when the session ends. Fields are typed; the log's words for them are
/// <see cref="Logging.RequestLogFormatter"/>'s.
/// </summary>
public sealed class SessionRecord
{
    private readonly TimeProvider _time;
    private readonly long _startTimestamp;
    private long _bytesUp;
    private long _bytesDown;

    // What only some sessions have (a balancer, GSSAPI protection, a route or rule source, BIND, UDP): in an object
    // made when the first of them is set, so that a plain session's record, kept for its whole life, is 64 bytes smaller.
    private RareFields? _rare;
    private int _endedByAdministrator;

    /// <param name="id">The session number, unique for the server's life.</param>
    /// <param name="client">The client's address and port.</param>
    /// <param name="server">The listener address the client reached.</param>
    /// <param name="started">When the connection was accepted.</param>
    /// <param name="time">The clock of <see cref="Elapsed"/> (the server's, so tests with a fake clock see fake durations).</param>
    public SessionRecord(long id, IPEndPoint client, IPEndPoint server, DateTimeOffset started, TimeProvider? time = null)
    {
        Id = id;
        Client = client;
        Server = server;
        Started = started;
        _time = time ?? TimeProvider.System;
        _startTimestamp = _time.GetTimestamp();
    }

    public long Id { get; }

    public DateTimeOffset Started { get; }

    /// <summary>
    /// The client: the connection's peer, or behind a balancer the address its PROXY header named (see
    /// <see cref="ArrivedThrough"/>). Rules, limits, ident, UDP source pinning and the log all use this one.
    /// </summary>
    public IPEndPoint Client { get; private set; }

    /// <summary>The listener address the client reached (behind a balancer: the one the balancer reached).</summary>
    public IPEndPoint Server { get; }

    /// <summary>The balancer (server.proxy_protocol_from) that relayed the connection; null for direct clients.</summary>
    public IPEndPoint? Balancer => _rare?.Balancer;

    /// <summary>Behind a balancer: the address and port the client connected to on the balancer.</summary>
    public IPEndPoint? Frontend => _rare?.Frontend;

    /// <summary>Behind a balancer: the connection's unique id on it (PROXY v2 PP2_TYPE_UNIQUE_ID), when it sent one.</summary>
    public string? BalancerId => _rare?.BalancerId;

    /// <summary>
    /// The pair an identd on the client host knows the connection by: its port on the server side is the one the
    /// client connected to (the balancer's, behind one), while the lookup still leaves from this host's address.
    /// </summary>
    public IPEndPoint IdentServer => Frontend is { } frontend ? new IPEndPoint(Server.Address, frontend.Port) : Server;

    /// <summary>The connection came from balancer <see cref="Client"/>, whose PROXY header named the real client.</summary>
    public void ArrivedThrough(IPEndPoint client, IPEndPoint? frontend, string? balancerId)
    {
        ArgumentNullException.ThrowIfNull(client);
        var rare = Rare();
        rare.Balancer = Client;
        Client = client;
        rare.Frontend = frontend;
        rare.BalancerId = balancerId;
    }

    /// <summary>SOCKS 4, 4a or 5; null until the first byte is read (4 until a SOCKS4 request shows it is 4a).</summary>
    public PolicyVersion? Version { get; set; }

    /// <summary>The method the session authenticated with (none, username/password, GSSAPI); null before negotiation.</summary>
    public AuthMethod? AuthMethod { get; set; }

    /// <summary>Which credential back end decided a username/password login ("file", "pam"); null without one.</summary>
    public string? AuthBackend { get; set; }

    /// <summary>GSSAPI sessions: the protection level granted ("clear", "integrity", "confidentiality", "selective").</summary>
    public string? Protection
    {
        get => _rare?.Protection;
        set => Rare(value)?.Protection = value;
    }

    public string? User { get; set; }

    /// <summary>What the client host's identd (RFC 1413) said the user is, when asked and answered.</summary>
    public string? IdentUser { get; set; }

    /// <summary>The request's command (SOCKS4's CD 1 and 2 are SOCKS5's Connect and Bind); any byte a client sent, known or not.</summary>
    public Socks5Command? Command { get; set; }

    /// <summary>The destination as the client asked for it (a name stays a name).</summary>
    public SocksEndpoint? Destination { get; set; }

    /// <summary>The address the server actually connected to.</summary>
    public IPEndPoint? Connected { get; set; }

    /// <summary>How a rule sent the connection out (an upstream route and its chain, or a rule's source address); null otherwise.</summary>
    public Outbound.OutboundPath? Outbound
    {
        get => _rare?.Outbound;
        set => Rare(value)?.Outbound = value;
    }

    /// <summary>BIND: the address and port the first reply announced for the peer to connect to.</summary>
    public IPEndPoint? BindAnnounced
    {
        get => _rare?.BindAnnounced;
        set => Rare(value)?.BindAnnounced = value;
    }

    /// <summary>BIND: the peer that connected to the announced address and was accepted.</summary>
    public IPEndPoint? Peer
    {
        get => _rare?.Peer;
        set => Rare(value)?.Peer = value;
    }

    /// <summary>The reply code sent (SOCKS5 REP or SOCKS4 CD); null when no reply was sent.</summary>
    public int? ReplyCode { get; set; }

    /// <summary>What decided the request: "rule 3 \"web\" (windsock.toml:14:1)", "safe default", "no rule matched: default deny".</summary>
    public string? Rule { get; set; }

    /// <summary>Why the session ended, in a few words.</summary>
    public string? EndReason { get; set; }

    /// <summary>
    /// How the TCP relay moves bytes, chosen when it starts (the strategy's <c>Name</c>: "splice", "copy", "paced" or
    /// "gssapi"); null before a relay. The live session list shows it.
    /// </summary>
    public string? RelayMode { get; set; }

    /// <summary>For UDP ASSOCIATE: the relay address and datagram counts; null for other commands.</summary>
    public UdpRecord? Udp
    {
        get => _rare?.Udp;
        set => Rare(value)?.Udp = value;
    }

    /// <summary>Bytes from the client to the destination (for UDP: payload bytes, headers not counted).</summary>
    public long BytesUp => Interlocked.Read(ref _bytesUp);

    /// <summary>Bytes from the destination to the client (for UDP: payload bytes, headers not counted).</summary>
    public long BytesDown => Interlocked.Read(ref _bytesDown);

    public void AddBytesUp(long count) => Interlocked.Add(ref _bytesUp, count);

    public void AddBytesDown(long count) => Interlocked.Add(ref _bytesDown, count);

    public TimeSpan Elapsed => _time.GetElapsedTime(_startTimestamp);

    /// <summary>An administrator ended the session (windsock status --end): its end line says so.</summary>
    internal bool EndedByAdministrator => Volatile.Read(ref _endedByAdministrator) != 0;

    /// <summary>Marks the session ended by an administrator; false when it already was.</summary>
    internal bool MarkEndedByAdministrator() => Interlocked.Exchange(ref _endedByAdministrator, 1) == 0;

    /// <summary>The command as the log and the hooks name it: "connect", "udp-associate", or an unknown command's number.</summary>
    public string? CommandName => Command is { } command ? NameOf(command) : null;

    /// <summary>"4", "4a" or "5".</summary>
    public string? VersionName => Version switch
    {
        PolicyVersion.Socks4 => "4",
        PolicyVersion.Socks4a => "4a",
        PolicyVersion.Socks5 => "5",
        _ => null,
    };

    /// <summary>"none", "username" or "gssapi".</summary>
    public string? AuthMethodName => AuthMethod switch
    {
        null => null,
        Protocol.Socks5.AuthMethod.UsernamePassword => "username",
        Protocol.Socks5.AuthMethod.Gssapi => "gssapi",
        _ => "none",
    };

    public static string NameOf(Socks5Command command) => command switch
    {
        Socks5Command.Connect => "connect",
        Socks5Command.Bind => "bind",
        Socks5Command.UdpAssociate => "udp-associate",
        Socks5Command.Resolve => "resolve",
        Socks5Command.ResolvePtr => "resolve-ptr",
        Socks5Command.Ping => "ping",
        Socks5Command.Traceroute => "traceroute",
        _ => $"0x{(byte)command:X2}",
    };

    private RareFields Rare()
    {
        if (Volatile.Read(ref _rare) is { } rare)
        {
            return rare;
        }

        return Interlocked.CompareExchange(ref _rare, new RareFields(), null) ?? _rare;
    }

    /// <summary>The rare fields to set <paramref name="value"/> in: null when it is null and none was set yet (nothing to clear).</summary>
    private RareFields? Rare(object? value) => value is null ? _rare : Rare();

    private sealed class RareFields
    {
        public IPEndPoint? Balancer { get; set; }

        public IPEndPoint? Frontend { get; set; }

        public string? BalancerId { get; set; }

        public string? Protection { get; set; }

        public Outbound.OutboundPath? Outbound { get; set; }

        public IPEndPoint? BindAnnounced { get; set; }

        public IPEndPoint? Peer { get; set; }

        public UdpRecord? Udp { get; set; }
    }
}
