using System.Net.Sockets;

namespace Windsock.Bench;

/// <summary>
/// Reads and discards everything sent to it, counting bytes. The
/// throughput load reads this counter, so bytes are counted where they
/// arrive, not where they are queued.
/// </summary>
public sealed class SinkServer : LoopbackServer
{
    private readonly int _bufferSize;
    private long _bytesReceived;

    public SinkServer(int bufferSize = 256 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSize, 1);
        _bufferSize = bufferSize;
    }

    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    protected override async Task HandleAsync(Socket connection, CancellationToken cancellationToken)
    {
        byte[] buffer = GC.AllocateUninitializedArray<byte>(_bufferSize);
        while (true)
        {
            int read = await connection.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return;
            }

            Interlocked.Add(ref _bytesReceived, read);
        }
    }
}
