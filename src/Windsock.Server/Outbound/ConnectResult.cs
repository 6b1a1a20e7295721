using System.Net;
using System.Net.Sockets;
using Windsock.Protocol.Socks5;

namespace Windsock.Server.Outbound;

/// <summary>An outbound connection attempt's outcome: a connected socket, or the reply code that tells the client why not.</summary>
public readonly record struct ConnectResult(Socket? Socket, IPEndPoint? Connected, Socks5ReplyCode Code, string? FailureReason)
{
    public bool Succeeded => Socket is not null;

    public static ConnectResult Success(Socket socket, IPEndPoint connected) => new(socket, connected, Socks5ReplyCode.Succeeded, null);

    public static ConnectResult Failure(Socks5ReplyCode code, string reason) => new(null, null, code, reason);
}
