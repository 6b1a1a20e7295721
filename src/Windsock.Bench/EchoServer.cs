using System.Net.Sockets;

namespace Windsock.Bench;

/// <summary>
/// Sends back whatever it receives until the peer closes; or, with <c>closeAfterBytes</c>, closes as soon as it
/// has echoed that many bytes (connrate's <see cref="CloseFirst.Server"/>).
/// </summary>
public sealed class EchoServer(int? closeAfterBytes = null) : LoopbackServer
{
    protected override async Task HandleAsync(Socket connection, CancellationToken cancellationToken)
    {
        long echoed = 0;
        byte[] buffer = new byte[4096];
        while (true)
        {
            int read = await connection.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                connection.Shutdown(SocketShutdown.Send);
                return;
            }

            await SocketIo.SendAllAsync(connection, buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            echoed += read;
            if (echoed >= closeAfterBytes)
            {
                connection.Shutdown(SocketShutdown.Both);
                return;
            }
        }
    }
}
