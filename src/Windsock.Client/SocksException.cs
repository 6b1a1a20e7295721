namespace Windsock.Client;

/// <summary>
/// A proxy in the chain could not be reached, refused to authenticate us, refused the request or
/// broke the protocol. Says which hop, what it answered and what that answer means.
/// An <see cref="IOException"/>, so code that handles failed connections already handles it.
/// </summary>
public sealed class SocksException : IOException
{
    public SocksException()
        : this("A SOCKS proxy failed.")
    {
    }

    public SocksException(string message)
        : base(message)
    {
    }

    public SocksException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    internal SocksException(
        SocksErrorKind kind, int hopIndex, ProxyHop hop, string? destination, int? replyCode, string? replyMeaning, string message, Exception? innerException = null, string? reason = null)
        : base(message, innerException)
    {
        Reason = reason;
        Kind = kind;
        HopIndex = hopIndex;
        Hop = hop;
        Destination = destination;
        ReplyCode = replyCode;
        ReplyMeaning = replyMeaning;
    }

    public SocksErrorKind Kind { get; }

    /// <summary>Zero-based position in the chain of the proxy that failed (the one that answered, not the one it was asked to reach).</summary>
    public int HopIndex { get; }

    /// <summary>The proxy that failed.</summary>
    public ProxyHop? Hop { get; }

    /// <summary>What that proxy was asked to reach (host:port), when it got that far.</summary>
    public string? Destination { get; }

    /// <summary>
    /// The code the proxy answered with: SOCKS5 REP or SOCKS4 CD for <see cref="SocksErrorKind.CommandFailed"/>,
    /// RFC 1929 STATUS for <see cref="SocksErrorKind.AuthenticationFailed"/>, X'FF' for
    /// <see cref="SocksErrorKind.NoAcceptableAuthMethod"/>; null when the proxy answered nothing usable.
    /// </summary>
    public int? ReplyCode { get; }

    /// <summary>The reply code in words, e.g. "connection refused".</summary>
    public string? ReplyMeaning { get; }

    /// <summary>
    /// The proxy's own explanation, when it sends one. No SOCKS version carries text; this stays null
    /// until Windsock's reason extension exists.
    /// </summary>
    public string? Reason { get; }
}
