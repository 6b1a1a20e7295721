using System.Net.Sockets;

namespace Windsock.Bench;

/// <summary>Exact-length reads and writes over a raw <see cref="Socket"/>.</summary>
public static class SocketIo
{
    public static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            int sent = await socket.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            data = data[sent..];
        }
    }

    /// <summary>Fills <paramref name="buffer"/> completely or throws if the peer closes first.</summary>
    public static async ValueTask ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            int read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new SocksHandshakeException("peer closed the connection early");
            }

            buffer = buffer[read..];
        }
    }
}
