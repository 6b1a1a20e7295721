using System.Buffers;
using System.Net.Sockets;

namespace Windsock.Server.Sessions;

/// <summary>
/// Reads handshake messages from the client into one pooled buffer and hands the bytes to the
/// sans-I/O parsers until they say Done. Bytes past a message stay buffered: clients may pipeline
/// the greeting, the authentication and the request, and may send data right behind the request;
/// <see cref="Leftover"/> returns what must go to the destination first.
/// </summary>
internal sealed class HandshakeReader : IDisposable
{
    // Larger than the largest message (a SOCKS4a request is at most 520 bytes, an RFC 1929 request 513)
    // with room for pipelined data behind it.
    private const int BufferSize = 2048;

    private readonly Socket _socket;
    private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
    private int _start;
    private int _end;

    public HandshakeReader(Socket socket)
    {
        _socket = socket;
    }

    private byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(HandshakeReader));

    /// <summary>Waits for and returns the first byte without consuming it.</summary>
    public async ValueTask<byte> PeekFirstByteAsync(CancellationToken cancellationToken)
    {
        if (_end == _start)
        {
            await FillAsync(cancellationToken).ConfigureAwait(false);
        }

        return Buffer[_start];
    }

    public async ValueTask<T> ReadAsync<T>(MessageParser<T> parser, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = parser(Buffer.AsSpan(_start, _end - _start), out var message);
            switch (result.Status)
            {
                case Protocol.ParseStatus.Done:
                    _start += result.Consumed;
                    return message;
                case Protocol.ParseStatus.Error:
                    throw new SocksProtocolException(result.Error);
            }

            await FillAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Bytes the client sent after the last message, to be forwarded before the relay starts.</summary>
    public ReadOnlyMemory<byte> Leftover => Buffer.AsMemory(_start, _end - _start);

    private async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        var buffer = Buffer;
        if (_end == buffer.Length)
        {
            if (_start == 0)
            {
                // Unreachable with the current parsers (they fail before 2 KiB), kept as a guard against future ones.
                throw new SocksProtocolException("handshake message larger than the handshake buffer");
            }

            buffer.AsSpan(_start, _end - _start).CopyTo(buffer);
            _end -= _start;
            _start = 0;
        }

        int read = await _socket.ReceiveAsync(buffer.AsMemory(_end), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            throw new PeerClosedException();
        }

        _end += read;
    }

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
