using System.Buffers;
using System.Globalization;

namespace Windsock.Server.Logging;

/// <summary>
/// One log line built in a pooled character buffer and made a string once, at the end. Request-log lines are
/// written twice per session: a StringBuilder (its chunk, its growth, the string of every field formatted on its
/// own first) made several times the line's size in garbage per connection. Values are formatted in place
/// (<see cref="AppendFormatted{T}"/>). A mutable struct: pass it by <c>ref</c>, and dispose it once.
/// </summary>
internal struct LogLineBuilder : IDisposable
{
    private char[] _chars;
    private int _length;

    public LogLineBuilder(int capacity)
    {
        _chars = ArrayPool<char>.Shared.Rent(capacity);
    }

    /// <summary>What was appended so far.</summary>
    public readonly ReadOnlySpan<char> Written => _chars.AsSpan(0, _length);

    public void Append(char c)
    {
        if (_length == _chars.Length)
        {
            Grow(1);
        }

        _chars[_length++] = c;
    }

    public void Append(scoped ReadOnlySpan<char> text)
    {
        if (text.Length > _chars.Length - _length)
        {
            Grow(text.Length);
        }

        text.CopyTo(_chars.AsSpan(_length));
        _length += text.Length;
    }

    /// <summary>Appends <paramref name="value"/> as its invariant-culture <c>ToString(format)</c> would.</summary>
    public void AppendFormatted<T>(T value, string? format = null)
        where T : ISpanFormattable
    {
        int written;
        while (!value.TryFormat(_chars.AsSpan(_length), out written, format, CultureInfo.InvariantCulture))
        {
            Grow(_chars.Length);
        }

        _length += written;
    }

    public override readonly string ToString() => new(Written);

    /// <summary>
    /// Hands the buffer over as it is (the line is in its first <paramref name="length"/> characters): whoever takes it
    /// returns it to <see cref="ArrayPool{T}.Shared"/>. The builder is empty afterwards.
    /// </summary>
    public char[] Detach(out int length)
    {
        var chars = _chars;
        length = _length;
        _chars = [];
        _length = 0;
        return chars;
    }

    public void Dispose()
    {
        var chars = _chars;
        _chars = [];
        _length = 0;
        if (chars.Length > 0)
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    private void Grow(int more)
    {
        var larger = ArrayPool<char>.Shared.Rent(Math.Max(_chars.Length * 2, _length + more));
        Written.CopyTo(larger);
        if (_chars.Length > 0)
        {
            ArrayPool<char>.Shared.Return(_chars);
        }

        _chars = larger;
    }
}
