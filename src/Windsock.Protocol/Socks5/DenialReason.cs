using System.Buffers.Binary;
using System.Text;

namespace Windsock.Protocol.Socks5;

/// <summary>
/// Windsock's "tell the user why" extension (docs/protocol-extensions.md). A client that can read a
/// reason lists the private method <see cref="MethodCode"/> in its greeting; servers never select
/// it, so other servers ignore it. To such a client a Windsock server sends, right after a failure
/// reply and before closing:
/// <code>
/// +-----+----------+-----------------+
/// | VER |   LEN    |     REASON      |
/// +-----+----------+-----------------+
/// |  1  |    2     | LEN bytes UTF-8 |
/// +-----+----------+-----------------+
/// </code>
/// VER is 1; LEN is big-endian, at most <see cref="MaxReasonBytes"/>.
/// </summary>
public static class DenialReason
{
    /// <summary>A private method code (RFC 1928 reserves X'80' to X'FE' for private methods).</summary>
    public const byte MethodCode = 0xE5;

    public const byte Version = 0x01;

    public const int MaxReasonBytes = 1000;

    public const int MaxLength = 3 + MaxReasonBytes;

    /// <summary>Writes the message, cutting the reason (at a character boundary) to the limit.</summary>
    public static int Write(Span<byte> destination, string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        var encoder = Encoding.UTF8.GetEncoder();
        encoder.Convert(reason, destination.Slice(3, Math.Min(MaxReasonBytes, destination.Length - 3)), flush: true, out _, out int written, out _);
        destination[0] = Version;
        BinaryPrimitives.WriteUInt16BigEndian(destination[1..], (ushort)written);
        return 3 + written;
    }

    public static ParseResult TryParse(ReadOnlySpan<byte> input, out string reason)
    {
        reason = string.Empty;
        if (input.IsEmpty)
        {
            return ParseResult.NeedMore;
        }

        if (input[0] != Version)
        {
            return ParseResult.Fail(ProtocolError.UnsupportedVersion);
        }

        if (input.Length < 3)
        {
            return ParseResult.NeedMore;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(input[1..]);
        if (length > MaxReasonBytes)
        {
            return ParseResult.Fail(ProtocolError.ReasonTooLong);
        }

        if (input.Length < 3 + length)
        {
            return ParseResult.NeedMore;
        }

        reason = Encoding.UTF8.GetString(input.Slice(3, length));
        return ParseResult.Done(3 + length);
    }
}
