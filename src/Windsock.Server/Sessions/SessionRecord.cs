using System.Diagnostics;
using System.Net;
using Windsock.Protocol;

namespace Windsock.Server.Sessions;

/// <summary>
/// Everything the request log says about one client connection. It travels through the session's
/// steps, each filling in what it learns, and is written once when the request is decided and once
/// when the session ends.
/// </summary>
public sealed class SessionRecord
{
    private readonly long _startTimestamp = Stopwatch.GetTimestamp();
    private long _bytesUp;
    private long _bytesDown;

    public SessionRecord(long id, IPEndPoint client, IPEndPoint server, DateTimeOffset started)
    {
        Id = id;
        Client = client;
        Server = server;
        Started = started;
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
    public IPEndPoint? Balancer { get; private set; }

    /// <summary>Behind a balancer: the address and port the client connected to on the balancer.</summary>
    public IPEndPoint? Frontend { get; private set; }

    /// <summary>Behind a balancer: the connection's unique id on it (PROXY v2 PP2_TYPE_UNIQUE_ID), when it sent one.</summary>
    public string? BalancerId { get; private set; }

    /// <summary>
    /// The pair an identd on the client host knows the connection by: its port on the server side is the one the
    /// client connected to (the balancer's, behind one), while the lookup still leaves from this host's address.
    /// </summary>
    public IPEndPoint IdentServer => Frontend is { } frontend ? new IPEndPoint(Server.Address, frontend.Port) : Server;

    /// <summary>The connection came from balancer <see cref="Client"/>, whose PROXY header named the real client.</summary>
    public void ArrivedThrough(IPEndPoint client, IPEndPoint? frontend, string? balancerId)
    {
        ArgumentNullException.ThrowIfNull(client);
        Balancer = Client;
        Client = client;
        Frontend = frontend;
        BalancerId = balancerId;
    }

    /// <summary>"4", "4a" or "5"; null until the first byte is read.</summary>
    public string? Version { get; set; }

    /// <summary>"none", "username" or "gssapi"; null before negotiation.</summary>
    public string? AuthMethod { get; set; }

    /// <summary>Which credential back end decided a username/password login ("file", "pam"); null without one.</summary>
    public string? AuthBackend { get; set; }

    /// <summary>GSSAPI sessions: the protection level granted ("clear", "integrity", "confidentiality", "selective").</summary>
    public string? Protection { get; set; }

    public string? User { get; set; }

    /// <summary>What the client host's identd (RFC 1413) said the user is, when asked and answered.</summary>
    public string? IdentUser { get; set; }

    /// <summary>"connect", "bind", "udp-associate", or the unknown command's number.</summary>
    public string? Command { get; set; }

    /// <summary>The destination as the client asked for it (a name stays a name).</summary>
    public SocksEndpoint? Destination { get; set; }

    /// <summary>The address the server actually connected to.</summary>
    public IPEndPoint? Connected { get; set; }

    /// <summary>BIND: the address and port the first reply announced for the peer to connect to.</summary>
    public IPEndPoint? BindAnnounced { get; set; }

    /// <summary>BIND: the peer that connected to the announced address and was accepted.</summary>
    public IPEndPoint? Peer { get; set; }

    /// <summary>The reply code sent (SOCKS5 REP or SOCKS4 CD); null when no reply was sent.</summary>
    public int? ReplyCode { get; set; }

    /// <summary>What decided the request: "rule 3 \"web\" (windsock.toml:14:1)", "safe default", "no rule matched: default deny".</summary>
    public string? Rule { get; set; }

    /// <summary>Why the session ended, in a few words.</summary>
    public string? EndReason { get; set; }

    /// <summary>For UDP ASSOCIATE: the relay address and datagram counts; null for other commands.</summary>
    public UdpRecord? Udp { get; set; }

    /// <summary>Bytes from the client to the destination (for UDP: payload bytes, headers not counted).</summary>
    public long BytesUp => Interlocked.Read(ref _bytesUp);

    /// <summary>Bytes from the destination to the client (for UDP: payload bytes, headers not counted).</summary>
    public long BytesDown => Interlocked.Read(ref _bytesDown);

    public void AddBytesUp(long count) => Interlocked.Add(ref _bytesUp, count);

    public void AddBytesDown(long count) => Interlocked.Add(ref _bytesDown, count);

    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_startTimestamp);
}
