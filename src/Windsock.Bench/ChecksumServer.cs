using System.Net.Sockets;

namespace Windsock.Bench;

/// <summary>The soak's TCP destination: answers each <see cref="ChecksumFrame"/> until the client closes, counting payloads that arrived damaged.</summary>
public sealed class ChecksumServer : LoopbackServer
{
    private long _corrupt;

    public long Corrupt => Interlocked.Read(ref _corrupt);

    protected override async Task HandleAsync(Socket connection, CancellationToken cancellationToken)
    {
        byte[] probe = new byte[1];
        while (await connection.ReceiveAsync(probe, SocketFlags.Peek, cancellationToken).ConfigureAwait(false) > 0)
        {
            if (!await ChecksumFrame.ReceiveAndAnswerAsync(connection, cancellationToken).ConfigureAwait(false))
            {
                Interlocked.Increment(ref _corrupt);
            }
        }
    }
}
