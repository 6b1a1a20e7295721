using System.Buffers;
using System.Net.Sockets;
using Windsock.Client;

namespace Windsock.Cli;

/// <summary>
/// Copy loops for the client tools, each ending with a half-close so the far side sees EOF. They run on
/// streams: a connection through a proxy that protects with GSSAPI is a <see cref="GssapiStream"/>.
/// </summary>
internal static class ClientPipe
{
    private const int BufferSize = 64 * 1024;

    /// <summary>
    /// Source → target, flushing each piece (a ProxyCommand's reader waits for it); on the source's EOF,
    /// half-closes the target when it is a connection.
    /// </summary>
    public static async Task CopyAsync(Stream source, Stream target, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                await target.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            CompleteWrites(target);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The TCP half-close of a connection stream; nothing for other streams.</summary>
    public static void CompleteWrites(Stream stream)
    {
        switch (stream)
        {
            case NetworkStream network:
                network.Socket.Shutdown(SocketShutdown.Send);
                break;
            case GssapiStream gssapi:
                gssapi.CompleteWrites();
                break;
        }
    }

    /// <summary>Stream ↔ stream until both directions have seen EOF (or one fails), each EOF passed on as a half-close.</summary>
    public static async Task RelayAsync(Stream a, Stream b, CancellationToken cancellationToken)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task up = OneWayAsync(a, b, failed);
        Task down = OneWayAsync(b, a, failed);
        await Task.WhenAll(up, down).ConfigureAwait(false);
    }

    private static async Task OneWayAsync(Stream from, Stream to, CancellationTokenSource failed)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, failed.Token).ConfigureAwait(false)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, read), failed.Token).ConfigureAwait(false);
            }

            CompleteWrites(to);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
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
