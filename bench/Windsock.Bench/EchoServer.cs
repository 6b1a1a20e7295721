using System.Net.Sockets;

namespace Windsock.Bench;

/// <summary>Sends back whatever it receives until the peer closes.</summary>
public sealed class EchoServer : LoopbackServer
{
    protected override async Task HandleAsync(Socket connection, CancellationToken cancellationToken)
    {
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
        }
    }
}
