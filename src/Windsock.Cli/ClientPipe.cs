using System.Buffers;
using System.Net.Sockets;

namespace Windsock.Cli;

/// <summary>Copy loops for the client tools, each ending with a half-close so the far side sees EOF.</summary>
internal static class ClientPipe
{
    private const int BufferSize = 64 * 1024;

    /// <summary>Stream → socket; on the stream's EOF, shuts down the socket's sending side.</summary>
    public static async Task StreamToSocketAsync(Stream source, Socket target, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                await target.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }

            target.Shutdown(SocketShutdown.Send);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Socket → stream, flushing each piece (a ProxyCommand's reader waits for it); returns on the socket's EOF.</summary>
    public static async Task SocketToStreamAsync(Socket source, Stream target, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            int read;
            while ((read = await source.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false)) > 0)
            {
                await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                await target.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Socket ↔ socket until both directions have seen EOF (or one fails), each EOF passed on as a half-close.</summary>
    public static async Task RelayAsync(Socket a, Socket b, CancellationToken cancellationToken)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task up = OneWayAsync(a, b, failed);
        Task down = OneWayAsync(b, a, failed);
        await Task.WhenAll(up, down).ConfigureAwait(false);
    }

    private static async Task OneWayAsync(Socket from, Socket to, CancellationTokenSource failed)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            int read;
            while ((read = await from.ReceiveAsync(buffer, SocketFlags.None, failed.Token).ConfigureAwait(false)) > 0)
            {
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, failed.Token).ConfigureAwait(false);
            }

            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // One side broke: stop the other direction too, the connection is over.
            await failed.CancelAsync().ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
