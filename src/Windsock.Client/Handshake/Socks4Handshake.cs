using Windsock.Protocol;
using Windsock.Protocol.Socks4;

namespace Windsock.Client.Handshake;

/// <summary>The client side of SOCKS4 and SOCKS4a: one request, one (or for BIND two) fixed-size replies.</summary>
internal static class Socks4Handshake
{
    public static async ValueTask<SocksEndpoint> RequestAsync(
        Stream stream, HopContext hop, ProxyCommand command, SocksEndpoint destination, byte[] buffer, CancellationToken cancellationToken)
    {
        // +----+----+----+----+----+----+----+----+----+----+....+----+ (SOCKS4a: then HOSTNAME NULL)
        // | VN | CD | DSTPORT |      DSTIP        | USERID       |NULL|
        // +----+----+----+----+----+----+----+----+----+----+....+----+
        var request = new Socks4Request(command == ProxyCommand.Bind ? Socks4Command.Bind : Socks4Command.Connect, destination, hop.Hop.Socks4UserId);
        int length = request.Write(buffer);
        await SocketIo.SendAllAsync(stream, buffer.AsMemory(0, length), hop, "the SOCKS4 request", cancellationToken).ConfigureAwait(false);
        return await ReadReplyAsync(stream, hop, command, destination, buffer, cancellationToken).ConfigureAwait(false);
    }

    public static async ValueTask<SocksEndpoint> ReadReplyAsync(
        Stream stream, HopContext hop, ProxyCommand command, SocksEndpoint destination, byte[] buffer, CancellationToken cancellationToken)
    {
        // +----+----+----+----+----+----+----+----+
        // | VN | CD | DSTPORT |      DSTIP        |
        // +----+----+----+----+----+----+----+----+
        int read = await SocketIo.ReceiveExactlyAsync(stream, buffer.AsMemory(0, Socks4Reply.Length), hop, "the SOCKS4 reply", cancellationToken).ConfigureAwait(false);
        if (read >= 1 && buffer[0] != 0)
        {
            throw hop.Violation($"its reply starts with 0x{buffer[0]:X2}, not 0", destination.ToString());
        }

        if (read >= 2 && buffer[1] != (byte)Socks4ReplyCode.Granted)
        {
            throw hop.CommandFailed(command, destination.ToString(), buffer[1], ReplyText.Socks4(buffer[1]));
        }

        if (read < Socks4Reply.Length)
        {
            throw hop.Closed("the SOCKS4 reply");
        }

        Socks4Reply.TryParse(buffer.AsSpan(0, read), out var reply);
        return SocksEndpoint.FromAddress(reply.Address, reply.Port);
    }
}
