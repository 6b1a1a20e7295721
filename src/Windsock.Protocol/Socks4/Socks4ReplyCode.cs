namespace Windsock.Protocol.Socks4;

/// <summary>SOCKS4 CD values in a reply.</summary>
public enum Socks4ReplyCode : byte
{
    Granted = 90,
    RejectedOrFailed = 91,

    /// <summary>The client's identd could not be reached.</summary>
    IdentUnreachable = 92,

    /// <summary>The client's identd reported another user than USERID.</summary>
    IdentMismatch = 93,
}
