using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Windsock.Protocol.Gssapi;
using Windsock.Server.Configuration;
using Windsock.Server.Gssapi;

namespace Windsock.Server.Sessions;

/// <summary>
/// Reads handshake messages from the client into one pooled buffer and hands the bytes to the
/// sans-I/O parsers until they say Done. Bytes past a message stay buffered: clients may pipeline
/// the greeting, the authentication and the request, and may send data right behind the request;
/// <see cref="Leftover"/> returns what must go to the destination first.
/// <para>
/// GSSAPI sessions need two more things: tokens up to 64 KiB (the buffer grows for them), and, once a
/// protection level is granted, a request that arrives wrapped. After <see cref="StartUnwrapping"/> the
/// reader takes RFC 1961 frames off the socket into a second buffer and feeds the parsers their unwrapped
/// content, so the request parsers stay the same; <see cref="RawLeftover"/> holds frames not yet unwrapped.
/// </para>
/// </summary>
internal sealed class HandshakeReader : IDisposable
{
    // Larger than the largest message (a SOCKS4a request is at most 520 bytes, an RFC 1929 request 513)
    // with room for pipelined data behind it.
    private const int BufferSize = 2048;

    /// <summary>An RFC 1961 message with the largest token: the most any single handshake message may take.</summary>
    private const int MaxFrameLength = GssapiMessage.HeaderLength + GssapiMessage.MaxTokenLength;

    /// <summary>The largest GSSAPI token taken before the client has authenticated (<see cref="ClientLimits"/> says why).</summary>
    public const int MaxUnauthenticatedTokenLength = ClientLimits.MaxUnauthenticatedGssapiToken;

    private readonly Socket _socket;
    private readonly int _maxUnauthenticatedToken;

    // On Linux the reader tries the socket without blocking and waits on the handshake loop (null elsewhere).
    private LoopWait? _loop;
    private bool _waitFirst;
    private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
    private int _start;
    private int _end;

    // Protected sessions: raw frames from the socket, and the context that unwraps them.
    private GssapiSecurity? _security;
    private byte[]? _raw;
    private int _rawEnd;
    private GssapiFrameBuffer? _plain;

    /// <param name="socket">The client's socket.</param>
    /// <param name="maxUnauthenticatedToken">limits.gssapi_token_unauthenticated, at most <see cref="MaxUnauthenticatedTokenLength"/>.</param>
    public HandshakeReader(Socket socket, int maxUnauthenticatedToken = MaxUnauthenticatedTokenLength)
    {
        _socket = socket;
        _maxUnauthenticatedToken = Math.Min(maxUnauthenticatedToken, MaxUnauthenticatedTokenLength);
        _loop = LoopWait.For(socket);
    }

    /// <summary>
    /// The client has just been answered and speaks only once it has read the answer (the method selection): the next
    /// receive on the loop waits for the socket at once instead of trying it first, which would nearly always find
    /// nothing, a recv(2) per connection for no bytes. Should the bytes be there already, the wait reports at once.
    /// </summary>
    public void WaitBeforeTrying() => _waitFirst = true;

    private byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(HandshakeReader));

    /// <summary>Waits for and returns the first byte without consuming it.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<byte> PeekFirstByteAsync(CancellationToken cancellationToken)
    {
        if (_end == _start)
        {
            await FillAsync(BufferSize, cancellationToken).ConfigureAwait(false);
        }

        return Buffer[_start];
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
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

            await FillAsync(BufferSize, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reads one RFC 1961 message of the authentication phase; the token is valid until the next read.
    /// The buffer grows for it as the bytes arrive, up to <see cref="MaxUnauthenticatedTokenLength"/>: Kerberos
    /// tickets with authorization data run to kilobytes, never to RFC 1961's 64 KiB.
    /// </summary>
    /// <exception cref="HandshakeLimitException">The header declares a longer token; nothing more is read for it.</exception>
    public async ValueTask<(GssapiMessage Message, ReadOnlyMemory<byte> Token)> ReadGssapiMessageAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var buffered = Buffer.AsSpan(_start, _end - _start);
            var result = GssapiMessage.TryParse(buffered, out var message);
            switch (result.Status)
            {
                case Protocol.ParseStatus.Done when message.TokenLength <= _maxUnauthenticatedToken:
                    var token = message.Type == GssapiMessageType.Abort
                        ? ReadOnlyMemory<byte>.Empty
                        : Buffer.AsMemory(_start + GssapiMessage.HeaderLength, message.TokenLength);
                    _start += result.Consumed;
                    return (message, token);
                case Protocol.ParseStatus.Error:
                    throw new SocksProtocolException(result.Error);
            }

            // The header alone tells the declared length (bytes 3 and 4, network order), before the token is read.
            if (buffered.Length >= GssapiMessage.HeaderLength)
            {
                int declared = BinaryPrimitives.ReadUInt16BigEndian(buffered[2..]);
                if (declared > _maxUnauthenticatedToken)
                {
                    throw new HandshakeLimitException(
                        $"limit gssapi_token_unauthenticated={_maxUnauthenticatedToken} exceeded: the client declared a {declared}-byte token before authenticating");
                }
            }

            await FillAsync(GssapiMessage.HeaderLength + _maxUnauthenticatedToken, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The handshake buffer's size now; lets tests prove a refused declaration made nothing grow.</summary>
    internal int Capacity => Buffer.Length;

    /// <summary>
    /// From now on the client's bytes are RFC 1961 encapsulated messages: parsers see their unwrapped content.
    /// Whatever is buffered already is raw frames (a client may send its request right behind the negotiation).
    /// </summary>
    public void StartUnwrapping(GssapiSecurity security)
    {
        _security = security;
        _raw = ArrayPool<byte>.Shared.Rent(MaxFrameLength);
        _plain = new GssapiFrameBuffer();
        Buffer.AsSpan(_start, _end - _start).CopyTo(_raw);
        _rawEnd = _end - _start;
        _start = _end = 0;
    }

    /// <summary>Bytes the client sent after the last message, to be forwarded before the relay starts (plaintext when unwrapping).</summary>
    public ReadOnlyMemory<byte> Leftover => Buffer.AsMemory(_start, _end - _start);

    /// <summary>When unwrapping: frames received behind the request and not unwrapped yet; the relay takes them first.</summary>
    public ReadOnlyMemory<byte> RawLeftover => _raw is null ? ReadOnlyMemory<byte>.Empty : _raw.AsMemory(0, _rawEnd);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FillAsync(int limit, CancellationToken cancellationToken)
    {
        MakeRoom(1, limit);
        if (_security is not null)
        {
            await UnwrapNextAsync(_security, cancellationToken).ConfigureAwait(false);
            return;
        }

        var buffer = Buffer;
        int read = _loop is { } loop
            ? await ReceiveOnLoopAsync(loop, buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false)
            : await _socket.ReceiveAsync(buffer.AsMemory(_end), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            throw new PeerClosedException();
        }

        _end += read;
    }

    /// <summary>
    /// A receive on the handshake loop: recv(2) without waiting, and when nothing is there yet a one-shot readiness
    /// wait on the loop, whose thread then goes on with this session inline. Errors are what ReceiveAsync throws.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReceiveOnLoopAsync(LoopWait loop, Memory<byte> into, CancellationToken cancellationToken)
    {
        bool tryFirst = !_waitFirst;
        _waitFirst = false;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (tryFirst)
            {
                int read = LoopNative.ReceiveNow(loop.Handle, into.Span);
                if (read >= 0)
                {
                    return read;
                }

                int error = Marshal.GetLastPInvokeError();
                if (error != LoopNative.EAGAIN)
                {
                    throw LoopNative.ToException(error);
                }
            }

            tryFirst = true;
            if (!loop.TryWait(LoopWait.Readable, cancellationToken, out var ready))
            {
                // The epoll set refused the socket: this session waits through .NET from now on.
                _loop = null;
                loop.Dispose();
                return await _socket.ReceiveAsync(into, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }

            await ready.ConfigureAwait(false);
        }
    }

    /// <summary>Makes room for <paramref name="count"/> more bytes: compacts, then grows up to <paramref name="limit"/>.</summary>
    private void MakeRoom(int count, int limit)
    {
        var buffer = Buffer;
        if (buffer.Length - _end >= count)
        {
            return;
        }

        if (_start > 0)
        {
            buffer.AsSpan(_start, _end - _start).CopyTo(buffer);
            _end -= _start;
            _start = 0;
            if (buffer.Length - _end >= count)
            {
                return;
            }
        }

        if (_end + count > limit)
        {
            // Unreachable with the current parsers (they fail before their limit), kept as a guard against future ones.
            throw new SocksProtocolException("handshake message larger than the handshake buffer");
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_end + count, Math.Min(limit, buffer.Length * 2)));
        buffer.AsSpan(0, _end).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        _buffer = larger;
    }

    /// <summary>Takes one whole encapsulated message off the socket and appends its unwrapped content.</summary>
    private async ValueTask UnwrapNextAsync(GssapiSecurity security, CancellationToken cancellationToken)
    {
        var raw = _raw!;
        while (true)
        {
            var result = GssapiMessage.TryParse(raw.AsSpan(0, _rawEnd), out var message);
            if (result.IsError)
            {
                throw new GssapiFailureException($"gssapi: bad encapsulated message: {result.Error}");
            }

            if (result.IsDone)
            {
                if (message.Type == GssapiMessageType.Abort)
                {
                    throw new GssapiFailureException("gssapi: client aborted (MTYP 0xFF)");
                }

                if (message.Type != GssapiMessageType.Encapsulated)
                {
                    throw new GssapiFailureException($"gssapi: expected an encapsulated message (MTYP 3), got MTYP {(byte)message.Type}");
                }

                var plain = _plain!;
                if (security.Unwrap(message.TokenIn(raw.AsSpan(0, result.Consumed)), plain) is { } refusal)
                {
                    throw new GssapiFailureException(refusal);
                }

                raw.AsSpan(result.Consumed, _rawEnd - result.Consumed).CopyTo(raw);
                _rawEnd -= result.Consumed;
                MakeRoom(plain.Written.Length, BufferSize + GssapiMessage.MaxTokenLength);
                plain.Written.Span.CopyTo(Buffer.AsSpan(_end));
                _end += plain.Written.Length;
                plain.Release();
                return;
            }

            int read = await _socket.ReceiveAsync(raw.AsMemory(_rawEnd), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new PeerClosedException();
            }

            _rawEnd += read;
        }
    }

    public void Dispose()
    {
        _loop?.Dispose();
        _loop = null;
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (_raw is { } raw)
        {
            _raw = null;
            ArrayPool<byte>.Shared.Return(raw);
        }

        _plain?.Dispose();
    }
}
