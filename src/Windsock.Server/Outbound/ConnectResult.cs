using System.Net;
using System.Net.Sockets;
using Windsock.Policy;
using Windsock.Protocol.Socks5;

namespace Windsock.Server.Outbound;

/// <summary>An outbound connection attempt's outcome: a connected socket, or the reply code that tells the client why not.</summary>
public readonly record struct ConnectResult(Socket? Socket, IPEndPoint? Connected, Socks5ReplyCode Code, string? FailureReason, Decision? Denial = null, OutboundPath? Path = null)
{
    public bool Succeeded => Socket is not null;

    public static ConnectResult Success(Socket socket, IPEndPoint connected) => new(socket, connected, Socks5ReplyCode.Succeeded, null);

    public static ConnectResult Failure(Socks5ReplyCode code, string reason) => new(null, null, code, reason);

    /// <summary>Every address the name resolved to was denied by the access rules; the last denial says how to answer.</summary>
    public static ConnectResult Denied(Decision denial) => new(null, null, denial.Reply.Socks5Code, $"denied: {denial.Reason}", denial);
}
