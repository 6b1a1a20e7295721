using Windsock.Policy;
using Windsock.Protocol.Socks4;

namespace Windsock.Server.Ident;

/// <summary>
/// Whether an ident answer lets a SOCKS4 request through, by the old sockd's rules: in check mode
/// only a contradiction refuses (93); in require mode a missing answer refuses too (92). User ids
/// compare exactly, as identd and the SOCKS4 USERID both come from the client host's account name.
/// </summary>
public static class IdentVerdict
{
    /// <returns>Null when the request may go on; otherwise the reply code and the reason to log.</returns>
    public static (Socks4ReplyCode Code, string Reason)? Evaluate(IdentMode mode, IdentResult result, string requestedUser)
    {
        if (mode == IdentMode.Off)
        {
            return null;
        }

        if (result.Outcome == IdentOutcome.UserId)
        {
            return string.Equals(result.UserId, requestedUser, StringComparison.Ordinal)
                ? null
                : (Socks4ReplyCode.IdentMismatch, $"ident mismatch: identd says '{result.UserId}', request says '{requestedUser}'");
        }

        return mode == IdentMode.Require
            ? (Socks4ReplyCode.IdentUnreachable, $"ident required: {result.Detail}")
            : null;
    }
}
