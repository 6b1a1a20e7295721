using System.Buffers;
using Windsock.Protocol.Gssapi;

namespace Windsock.Client.Gssapi;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> over one pooled array that starts with room for the RFC 1961 header,
/// so gss_wrap writes its token straight behind it and the frame goes out in one write.
/// </summary>
internal sealed class FrameWriter : IBufferWriter<byte>, IDisposable
{
    private byte[] _buffer;
    private int _written;

    public FrameWriter(int capacity = GssapiMessage.HeaderLength + GssapiMessage.MaxTokenLength + 1024)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(capacity);
        _written = GssapiMessage.HeaderLength;
    }

    /// <summary>The token written so far.</summary>
    public int TokenLength => _written - GssapiMessage.HeaderLength;

    /// <summary>Header and token.</summary>
    public ReadOnlyMemory<byte> Frame => _buffer.AsMemory(0, _written);

    public void Reset() => _written = GssapiMessage.HeaderLength;

    /// <summary>Fills in VER, MTYP and LEN for the token written.</summary>
    public void Seal(GssapiMessageType type) => GssapiMessage.WriteHeader(_buffer, type, TokenLength);

    public void Advance(int count) => _written += count;

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

    private void Ensure(int sizeHint)
    {
        if (_buffer.Length - _written >= Math.Max(sizeHint, 1))
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _written + sizeHint));
        _buffer.AsSpan(0, _written).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer, clearArray: true);
        _buffer = larger;
    }

    /// <summary>Cleared on return: the buffer may hold plaintext copies.</summary>
    public void Dispose() => ArrayPool<byte>.Shared.Return(Interlocked.Exchange(ref _buffer, []), clearArray: true);
}
