namespace Windsock.Client.Gssapi;

/// <summary>
/// How <see cref="GssapiStream"/> reads its connection: one framing routine for the asynchronous and the
/// synchronous members, as SslStream does with its read/write adapters, so neither blocks on the other and
/// the framing exists once.
/// </summary>
internal interface IStreamIo
{
    static abstract ValueTask<int> ReadAtLeastAsync(Stream stream, Memory<byte> buffer, int minimum, CancellationToken cancellationToken);
}

/// <summary>Reads with the stream's asynchronous members.</summary>
internal readonly struct AsyncIo : IStreamIo
{
    public static ValueTask<int> ReadAtLeastAsync(Stream stream, Memory<byte> buffer, int minimum, CancellationToken cancellationToken) =>
        stream.ReadAtLeastAsync(buffer, minimum, throwOnEndOfStream: false, cancellationToken);
}

/// <summary>Reads with the stream's synchronous members; every call completes before it returns.</summary>
internal readonly struct SyncIo : IStreamIo
{
    public static ValueTask<int> ReadAtLeastAsync(Stream stream, Memory<byte> buffer, int minimum, CancellationToken cancellationToken) =>
        new(stream.ReadAtLeast(buffer.Span, minimum, throwOnEndOfStream: false));
}
