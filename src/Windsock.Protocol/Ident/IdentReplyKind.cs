namespace Windsock.Protocol.Ident;

public enum IdentReplyKind
{
    /// <summary>The identd named the user owning the connection.</summary>
    UserId,

    /// <summary>The identd answered with an error (NO-USER, HIDDEN-USER, INVALID-PORT, UNKNOWN-ERROR, or an X- extension).</summary>
    Error,
}
