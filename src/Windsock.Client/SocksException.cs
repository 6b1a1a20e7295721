namespace Windsock.Client;

/// <summary>
/// A proxy in the chain could not be reached, refused to authenticate us, refused the request or
/// broke the protocol. Says which hop, what it answered and what that answer means.
/// An <see cref="IOException"/>, so code that handles failed connections already handles it.
/// </summary>
public sealed class SocksException : IOException
{
    /// <summary>An exception with a generic message: a SOCKS proxy failed; Kind is Unknown.</summary>
    public SocksException()
        : this("A SOCKS proxy failed.")
    {
    }

    /// <summary>An exception with <paramref name="message"/>.</summary>
    /// <param name="message">What went wrong.</param>
    public SocksException(string message)
        : base(message)
    {
    }

    /// <summary>An exception with <paramref name="message"/> caused by <paramref name="innerException"/>.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause, or null.</param>
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

    /// <summary>Which step failed; <see cref="SocksErrorKind.Unknown"/> for an exception made with a public constructor.</summary>
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
    /// The proxy's own explanation of a refusal, in words, e.g. "outbound SMTP is blocked; use the relay". No
    /// SOCKS version carries text: a Windsock server sends it after a SOCKS5 failure reply, to clients that
    /// offer Windsock's reason method (this one does; docs/protocol-extensions.md), within
    /// <see cref="SocksClientOptions.DenialReasonTimeout"/>. Null from other servers, and over SOCKS4.
    /// </summary>
    public string? Reason { get; }
}
