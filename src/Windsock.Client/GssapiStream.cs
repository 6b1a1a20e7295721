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

    /// <summary>The level the proxy granted: integrity, confidentiality, or selective (this side then encrypts every message).</summary>
    public GssapiProtectionLevel Protection => _session.Granted;

    /// <summary>The TCP connection to the first proxy of the chain, for its addresses and socket options. Writing to it directly breaks the framing.</summary>
    public Socket Socket { get; }

    internal GssapiSession Session => _session;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

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
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
#pragma warning restore RS0027
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_plainLength == 0)
        {
            if (_readFailure is not null)
            {
                throw new IOException(_readFailure);
            }

            // A zero-byte read waits for data too, as on a socket: it returns once a message is buffered.
            if (_endOfStream || !await FillAsync(cancellationToken).ConfigureAwait(false))
            {
                return 0;
            }
        }

        int count = Math.Min(buffer.Length, _plainLength);
        _receive.AsSpan(_plainOffset, count).CopyTo(buffer.Span);
        _plainOffset += count;
        _plainLength -= count;
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // The synchronous members wait for the asynchronous ones: this library and HttpClient only call
    // those, and a second copy of the framing logic would be a second place for framing bugs.
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override int Read(Span<byte> buffer)
    {
        byte[] copy = new byte[buffer.Length];
        int read = ReadAsync(copy).AsTask().GetAwaiter().GetResult();
        copy.AsSpan(0, read).CopyTo(buffer);
        return read;
    }

    /// <summary>Reads and unwraps the next message with plaintext; false at a clean end of stream (between messages).</summary>
    private async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            int read = await _inner.ReadAtLeastAsync(_receive.AsMemory(0, 2), 2, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
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

            if (await _inner.ReadAtLeastAsync(_receive.AsMemory(2, 2), 2, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false) < 2)
            {
                throw Fail("the connection closed in the middle of a message");
            }

            int length = (_receive[2] << 8) | _receive[3];
            var token = _receive.AsMemory(GssapiMessage.HeaderLength, length);
            if (await _inner.ReadAtLeastAsync(token, length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false) < length)
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
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
#pragma warning restore RS0027
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        _send ??= new GssapiFrameBuffer();
        while (!buffer.IsEmpty)
        {
            int take = Math.Min(buffer.Length, _chunk);
            if (!_session.TryWrap(buffer.Span[..take], _send))
            {
                // More overhead than expected (another enctype): wrap less at a time from now on.
                _chunk = Math.Max(1, take / 2);
                continue;
            }

            await _inner.WriteAsync(_send.Written, cancellationToken).ConfigureAwait(false);
            buffer = buffer[take..];
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Write(ReadOnlySpan<byte> buffer) => WriteAsync(buffer.ToArray()).AsTask().GetAwaiter().GetResult();

    public override void Flush() => _inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

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
