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

    public IPEndPoint Client { get; }

    /// <summary>The listener address the client reached.</summary>
    public IPEndPoint Server { get; }

    /// <summary>"4", "4a" or "5"; null until the first byte is read.</summary>
    public string? Version { get; set; }

    /// <summary>"none", "username" or "gssapi"; null before negotiation.</summary>
    public string? AuthMethod { get; set; }

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
