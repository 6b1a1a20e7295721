using System.Net.Sockets;

namespace Windsock.Client.Handshake;

/// <summary>Whole-message reads and writes on a socket; handshake messages never span less than they say.</summary>
internal static class SocketIo
{
    public static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, HopContext hop, string during, CancellationToken cancellationToken)
    {
        try
        {
            while (!data.IsEmpty)
            {
                int sent = await socket.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                data = data[sent..];
            }
        }
        catch (SocketException e)
        {
            throw hop.Closed(during, e);
        }
    }

    /// <summary>
    /// Fills <paramref name="buffer"/>, reading nothing beyond it: bytes after a reply belong to the
    /// tunnel. Returns fewer bytes only when the proxy closed the connection.
    /// </summary>
    public static async ValueTask<int> ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, HopContext hop, string during, CancellationToken cancellationToken)
    {
        int filled = 0;
        try
        {
            while (filled < buffer.Length)
            {
                int read = await socket.ReceiveAsync(buffer[filled..], SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                filled += read;
            }
        }
        catch (SocketException e)
        {
            throw hop.Closed(during, e);
        }

        return filled;
    }
}
