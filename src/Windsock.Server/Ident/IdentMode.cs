namespace Windsock.Server.Ident;

/// <summary>How RFC 1413 answers bear on SOCKS4 requests (the old sockd's ?=n, ?=i and ?=I).</summary>
public enum IdentMode
{
    /// <summary>No ident queries.</summary>
    Off,

    /// <summary>Query; deny (SOCKS4 93) only when the identd names another user than the request's USERID.</summary>
    Check,

    /// <summary>Query; deny when the identd disagrees (93) and when it cannot be reached or gives no user (92).</summary>
    Require,
}
