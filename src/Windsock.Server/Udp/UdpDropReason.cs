namespace Windsock.Server.Udp;

/// <summary>Why a relay dropped a datagram. Each is counted per association and shown in the request log's end line.</summary>
public enum UdpDropReason
{
    /// <summary>From the client, but the SOCKS5 UDP header is malformed (short, RSV not zero, unknown ATYP, bad name).</summary>
    Malformed,

    /// <summary>From the client with FRAG ≠ 0: this relay does not reassemble, as RFC 1928 allows.</summary>
    Fragmented,

    /// <summary>From the client's address but not from the port the association is pinned to.</summary>
    WrongSourcePort,

    /// <summary>Neither from the client nor from a host the client has sent to.</summary>
    UnknownSender,

    /// <summary>The destination name did not resolve, the resolver refused it (such as "0"), resolving it timed out, or it has no address the relay can send to.</summary>
    Unresolved,

    /// <summary>The access rules refused the destination: the name the datagram gives, or every address that name resolves to.</summary>
    Denied,

    /// <summary>A destination no datagram can go to: port 0, an unspecified address, a family the relay lacks.</summary>
    InvalidDestination,

    /// <summary>The association already talks to the most distinct remote endpoints one association may.</summary>
    TooManyPeers,

    /// <summary>The operating system refused to send it (too large, no route, buffer full).</summary>
    SendFailed,

    /// <summary>GSSAPI-protected association: from the client, but not an RFC 1961 encapsulated message, or it did not unwrap.</summary>
    Unprotected,

    /// <summary>Past <c>limits.udp_datagrams_per_second</c> for this association (both directions counted together).</summary>
    RateLimited,
}
