using System.Net.Sockets;
using Xunit;

namespace Windsock.Client.Tests.Support;

internal static class Echo
{
    /// <summary>Sends a distinctive payload through <paramref name="socket"/> and checks the same bytes come back.</summary>
    public static async Task AssertRoundTripAsync(Socket socket, int size = 100_000, CancellationToken cancellationToken = default)
    {
        var payload = new byte[size];
        new Random(size).NextBytes(payload);
        var sending = socket.SendAsync(payload, SocketFlags.None, cancellationToken).AsTask();
        var received = await ReadExactlyAsync(socket, size, cancellationToken);
        await sending;
        Assert.Equal(payload, received);
    }

    public static async Task<byte[]> ReadExactlyAsync(Socket socket, int count, CancellationToken cancellationToken)
    {
        var buffer = new byte[count];
        int read = 0;
        while (read < count)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                throw new EndOfStreamException($"closed after {read} of {count} bytes");
            }

            read += n;
        }

        return buffer;
    }
}
