using Windsock.Client.Gssapi;

namespace Windsock.Client.Handshake;

/// <summary>Whole-message reads and writes on the path's stream; handshake messages never span less than they say.</summary>
internal static class SocketIo
{
    public static async ValueTask SendAllAsync(Stream stream, ReadOnlyMemory<byte> data, HopContext hop, string during, CancellationToken cancellationToken)
    {
        try
        {
            await stream.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e) when (e is not SocksException)
        {
            throw Map(hop, during, e);
        }
        catch (OperationCanceledException e) when (ClientCall.Current is { TimedOut: true } call)
        {
            throw hop.TimedOut(during, call.Options.HandshakeTimeout, e);
        }
    }

    /// <summary>
    /// Fills <paramref name="buffer"/>, reading nothing beyond it: bytes after a reply belong to the
    /// tunnel. Returns fewer bytes only when the proxy closed the connection.
    /// </summary>
    public static async ValueTask<int> ReceiveExactlyAsync(Stream stream, Memory<byte> buffer, HopContext hop, string during, CancellationToken cancellationToken)
    {
        try
        {
            return await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e) when (e is not SocksException)
        {
            throw Map(hop, during, e);
        }
        catch (OperationCanceledException e) when (ClientCall.Current is { TimedOut: true } call)
        {
            throw hop.TimedOut(during, call.Options.HandshakeTimeout, e);
        }
    }

    private static SocksException Map(HopContext hop, string during, IOException e) =>
        e is GssapiAbortedException ? hop.GssapiAborted(during, e) : hop.Closed(during, e);
}
