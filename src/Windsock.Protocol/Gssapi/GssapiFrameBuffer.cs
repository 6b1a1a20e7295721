using System.Buffers;
namespace Windsock.Protocol.Gssapi;

/// <summary>
/// A pooled buffer for one message at a time: a wrapped frame, with room for the RFC 1961 header in front that
/// is filled in once the token's length is known (so a frame is sent with one call and never copied), or the
/// plaintext an unwrap produces. Rented on first use and returned by <see cref="Release"/>, so an idle session
/// holds none. The client and the server wrap through the same one; no I/O happens here.
/// </summary>
public sealed class GssapiFrameBuffer : IBufferWriter<byte>, IDisposable
{
    private byte[]? _buffer;
    private int _written;

    /// <summary>What was written since <see cref="Begin"/> or <see cref="Clear"/>: a frame (header and token) or plaintext.</summary>
    public ReadOnlyMemory<byte> Written => (_buffer ?? []).AsMemory(0, _written);

    /// <summary>Starts over for plaintext: nothing in front.</summary>
    public void Clear() => _written = 0;

    /// <summary>Starts a frame: the header's room is kept, the token goes in through <see cref="IBufferWriter{T}"/>.</summary>
    public void Begin()
    {
        _written = 0;
        GetSpan(GssapiMessage.HeaderLength);
        _written = GssapiMessage.HeaderLength;
    }

    /// <summary>Writes the header for the token written since <see cref="Begin"/>; false when the token is too long for LEN.</summary>
    public bool End(GssapiMessageType type)
    {
        int tokenLength = _written - GssapiMessage.HeaderLength;
        if (tokenLength > GssapiMessage.MaxTokenLength)
        {
            return false;
        }

        GssapiMessage.WriteHeader(_buffer.AsSpan(), type, tokenLength);
        return true;
    }

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <summary>Returns the buffer to the pool; the next frame rents one again.</summary>
    public void Release()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            _written = 0;
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true); // it may hold plaintext
        }
    }

    public void Dispose() => Release();

    private void Ensure(int sizeHint)
    {
        int needed = _written + Math.Max(sizeHint, 1);
        if (_buffer is not null && _buffer.Length >= needed)
        {
            return;
        }

        // A whole frame (header and the largest token) in one rent covers every wrap of a chunk that fits.
        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, GssapiMessage.HeaderLength + GssapiMessage.MaxTokenLength));
        if (_buffer is { } old)
        {
            old.AsSpan(0, _written).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(old, clearArray: true);
        }

        _buffer = larger;
    }
}
