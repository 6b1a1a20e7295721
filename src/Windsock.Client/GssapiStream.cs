using System.Net.Security;
using System.Net.Sockets;
using Windsock.Client.Gssapi;
using Windsock.Protocol.Gssapi;

namespace Windsock.Client;

/// <summary>
/// A connection through a proxy that granted GSSAPI integrity or confidentiality (RFC 1961 section 5):
/// every write goes out as encapsulated messages, each token the gss_wrap of at most ~63 KiB so that it
/// fits the 16-bit length; every read unwraps the next message and hands its plaintext out, however the
/// caller's buffer cuts it. A message that fails to unwrap (altered, replayed, not encrypted when it had
/// to be) or an abort from the proxy fails the read with an <see cref="IOException"/>, and nothing of it is
/// delivered; later reads fail the same way. One read and one write may run at once. Disposing closes the
/// connection.
/// </summary>
public sealed class GssapiStream : Stream
{
    /// <summary>Plaintext per message: the token adds the wrap's header, checksum and padding (tens of bytes for Kerberos).</summary>
    internal const int MaxPlaintextPerMessage = 63 * 1024;

    private readonly Stream _inner;
    private readonly GssapiSession _session;
    private readonly byte[] _receive = new byte[GssapiMessage.HeaderLength + GssapiMessage.MaxTokenLength];
    private GssapiFrameBuffer? _send;
    private int _plainOffset;
    private int _plainLength;
    private int _chunk = MaxPlaintextPerMessage;
    private bool _endOfStream;
    private string? _readFailure;
    private int _disposed;

    internal GssapiStream(Stream inner, Socket socket, GssapiSession session)
    {
        _inner = inner;
        Socket = socket;
        _session = session;
    }

    /// <summary>
    /// The protection this side applies, from the level the proxy granted: <see cref="ProtectionLevel.Sign"/> for
    /// integrity, <see cref="ProtectionLevel.EncryptAndSign"/> for confidentiality, and for RFC 1961's selective
    /// level too (this side then encrypts every message).
    /// </summary>
    public ProtectionLevel Protection => GssapiLevels.FromWire(_session.Granted);

    /// <summary>The TCP connection to the first proxy of the chain, for its addresses and socket options. Writing to it directly breaks the framing.</summary>
    public Socket Socket { get; }

    internal GssapiSession Session => _session;

    /// <summary>True: the stream reads the peer's plaintext.</summary>
    public override bool CanRead => true;

    /// <summary>True: the stream writes plaintext, wrapped.</summary>
    public override bool CanWrite => true;

    /// <summary>False: a connection cannot seek.</summary>
    public override bool CanSeek => false;

    /// <summary>Not supported: a connection has no length.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override long Length => throw new NotSupportedException();

    /// <summary>Not supported: a connection has no position.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>
    /// Ends the sending direction after the messages written so far (a TCP half-close): the proxy passes the
    /// end of stream on to the destination, which can still answer.
    /// </summary>
    public void CompleteWrites()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        Socket.Shutdown(SocketShutdown.Send);
    }

    // RS0027 wants the optional parameter on the longest overload; Stream's own signatures decide here, and
    // without the default a caller holding a GssapiStream could not write ReadAsync(buffer).
#pragma warning disable RS0027
    /// <summary>Reads plaintext of the next protected message (or what remains of the current one) into <paramref name="buffer"/>.</summary>
    /// <param name="buffer">Where the plaintext goes; a zero-length buffer waits until a message is buffered, as on a socket.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The number of bytes read; 0 at the end of the stream.</returns>
    /// <exception cref="IOException">A message did not unwrap, was truncated, or the proxy aborted; every later read fails the same way.</exception>
    /// <exception cref="ObjectDisposedException">The stream is disposed.</exception>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
#pragma warning restore RS0027
    {
        return await PrepareReadAsync<AsyncIo>(cancellationToken).ConfigureAwait(false) ? TakePlaintext(buffer.Span) : 0;
    }

    /// <inheritdoc cref="ReadAsync(Memory{byte}, CancellationToken)"/>
    /// <param name="buffer">Where the plaintext goes.</param>
    /// <param name="offset">Where in <paramref name="buffer"/> it starts.</param>
    /// <param name="count">At most this many bytes.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>As <see cref="ReadAsync(Memory{byte}, CancellationToken)"/>, blocking: reads the connection synchronously.</summary>
    /// <param name="buffer">Where the plaintext goes.</param>
    /// <param name="offset">Where in <paramref name="buffer"/> it starts.</param>
    /// <param name="count">At most this many bytes.</param>
    /// <returns>The number of bytes read; 0 at the end of the stream.</returns>
    /// <exception cref="IOException">A message did not unwrap, was truncated, or the proxy aborted.</exception>
    /// <exception cref="ObjectDisposedException">The stream is disposed.</exception>
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    /// <summary>As <see cref="ReadAsync(Memory{byte}, CancellationToken)"/>, blocking: reads the connection synchronously.</summary>
    /// <param name="buffer">Where the plaintext goes.</param>
    /// <returns>The number of bytes read; 0 at the end of the stream.</returns>
    /// <exception cref="IOException">A message did not unwrap, was truncated, or the proxy aborted.</exception>
    /// <exception cref="ObjectDisposedException">The stream is disposed.</exception>
    public override int Read(Span<byte> buffer)
    {
        // SyncIo completes every step synchronously, so the ValueTask is done when it returns: nothing blocks on a task.
        var ready = PrepareReadAsync<SyncIo>(CancellationToken.None);
        bool hasPlaintext = ready.IsCompleted ? ready.Result : ready.AsTask().GetAwaiter().GetResult();
        return hasPlaintext ? TakePlaintext(buffer) : 0;
    }

    /// <summary>True when plaintext is buffered for the caller, after reading and unwrapping a message if none was; false at the end of the stream.</summary>
    private async ValueTask<bool> PrepareReadAsync<TIo>(CancellationToken cancellationToken)
        where TIo : IStreamIo
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_plainLength > 0)
        {
            return true;
        }

        if (_readFailure is not null)
        {
            throw new IOException(_readFailure);
        }

        // A zero-byte read waits for data too, as on a socket: it returns once a message is buffered.
        return !_endOfStream && await FillAsync<TIo>(cancellationToken).ConfigureAwait(false);
    }

    private int TakePlaintext(Span<byte> buffer)
    {
        int count = Math.Min(buffer.Length, _plainLength);
        _receive.AsSpan(_plainOffset, count).CopyTo(buffer);
        _plainOffset += count;
        _plainLength -= count;
        return count;
    }

    /// <summary>Reads and unwraps the next message with plaintext; false at a clean end of stream (between messages).</summary>
    private async ValueTask<bool> FillAsync<TIo>(CancellationToken cancellationToken)
        where TIo : IStreamIo
    {
        while (true)
        {
            int read = await TIo.ReadAtLeastAsync(_inner, _receive.AsMemory(0, 2), 2, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                _endOfStream = true;
                return false;
            }

            if (read < 2)
            {
                throw Fail("the connection closed in the middle of a message");
            }

            if (_receive[0] != GssapiMessage.Version)
            {
                throw Fail($"a message starts with 0x{_receive[0]:X2}, not version 1");
            }

            if ((GssapiMessageType)_receive[1] == GssapiMessageType.Abort)
            {
                throw Fail("the proxy aborted the GSSAPI session", aborted: true);
            }

            if ((GssapiMessageType)_receive[1] != GssapiMessageType.Encapsulated)
            {
                throw Fail($"a message of type 0x{_receive[1]:X2} came where only encapsulated data (3) belongs");
            }

            if (await TIo.ReadAtLeastAsync(_inner, _receive.AsMemory(2, 2), 2, cancellationToken).ConfigureAwait(false) < 2)
            {
                throw Fail("the connection closed in the middle of a message");
            }

            int length = (_receive[2] << 8) | _receive[3];
            var token = _receive.AsMemory(GssapiMessage.HeaderLength, length);
            if (await TIo.ReadAtLeastAsync(_inner, token, length, cancellationToken).ConfigureAwait(false) < length)
            {
                throw Fail("the connection closed in the middle of a message");
            }

            if (_session.TryUnwrapInPlace(token.Span, out int offset, out int plainLength) is { } refused)
            {
                throw Fail(refused);
            }

            if (plainLength > 0)
            {
                _plainOffset = GssapiMessage.HeaderLength + offset;
                _plainLength = plainLength;
                return true;
            }
        }
    }

    private IOException Fail(string why, bool aborted = false)
    {
        _readFailure = $"GSSAPI-protected connection failed: {why}.";
        _receive.AsSpan().Clear();
        return aborted ? new GssapiAbortedException(_readFailure) : new IOException(_readFailure);
    }

#pragma warning disable RS0027 // as ReadAsync
    /// <summary>Wraps <paramref name="buffer"/> into encapsulated messages (at most ~63 KiB of plaintext each) and sends them.</summary>
    /// <param name="buffer">The plaintext.</param>
    /// <param name="cancellationToken">Cancels the write; the connection is then unusable.</param>
    /// <returns>A task that completes when every message is written.</returns>
    /// <exception cref="IOException">The wrap failed, or the connection did.</exception>
    /// <exception cref="ObjectDisposedException">The stream is disposed.</exception>
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
#pragma warning restore RS0027
    {
        while (!buffer.IsEmpty)
        {
            int taken = WrapNext(buffer.Span);
            await _inner.WriteAsync(_send!.Written, cancellationToken).ConfigureAwait(false);
            buffer = buffer[taken..];
        }
    }

    /// <inheritdoc cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>
    /// <param name="buffer">The plaintext.</param>
    /// <param name="offset">Where in <paramref name="buffer"/> it starts.</param>
    /// <param name="count">How many bytes.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>As <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>, blocking: writes the connection synchronously.</summary>
    /// <param name="buffer">The plaintext.</param>
    /// <param name="offset">Where in <paramref name="buffer"/> it starts.</param>
    /// <param name="count">How many bytes.</param>
    /// <exception cref="IOException">The wrap failed, or the connection did.</exception>
    /// <exception cref="ObjectDisposedException">The stream is disposed.</exception>
    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    /// <summary>As <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>, blocking: writes the connection synchronously.</summary>
    /// <param name="buffer">The plaintext.</param>
    /// <exception cref="IOException">The wrap failed, or the connection did.</exception>
    /// <exception cref="ObjectDisposedException">The stream is disposed.</exception>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            int taken = WrapNext(buffer);
            _inner.Write(_send!.Written.Span);
            buffer = buffer[taken..];
        }
    }

    /// <summary>Wraps the next piece of <paramref name="plaintext"/> into the send buffer as one message; returns how much it took.</summary>
    private int WrapNext(ReadOnlySpan<byte> plaintext)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        _send ??= new GssapiFrameBuffer();
        while (true)
        {
            int take = Math.Min(plaintext.Length, _chunk);
            if (_session.TryWrap(plaintext[..take], _send))
            {
                return take;
            }

            // More overhead than expected (another enctype): wrap less at a time from now on.
            _chunk = Math.Max(1, take / 2);
        }
    }

    /// <summary>Flushes the connection; every write already sent its messages whole.</summary>
    public override void Flush() => _inner.Flush();

    /// <summary>As <see cref="Flush"/>.</summary>
    /// <param name="cancellationToken">Cancels the flush.</param>
    /// <returns>A task that completes when the connection is flushed.</returns>
    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    /// <summary>Not supported: a connection cannot seek.</summary>
    /// <param name="offset">Ignored.</param>
    /// <param name="origin">Ignored.</param>
    /// <returns>Never returns.</returns>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <summary>Not supported: a connection has no length.</summary>
    /// <param name="value">Ignored.</param>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Closes the connection and releases the security context.</summary>
    /// <param name="disposing">True when called from Dispose(), false from a finalizer.</param>
    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _inner.Dispose();
            Socket.Dispose();
            _session.Dispose();
            _send?.Dispose();
        }

        base.Dispose(disposing);
    }
}
