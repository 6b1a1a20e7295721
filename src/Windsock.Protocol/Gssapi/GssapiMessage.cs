namespace Windsock.Protocol.Gssapi;

/// <summary>
/// One RFC 1961 message. Every message but the abort has the same frame:
/// <code>
/// +------+------+------+.......................+
/// + ver  | mtyp | len  |       token           |
/// +------+------+------+.......................+
/// + 0x01 | 0x01 | 0x02 | up to 2^16 - 1 octets |
/// +------+------+------+.......................+
/// </code>
/// The abort is VER and MTYP 0xFF alone. The parsed value holds the type and the token's length, not the
/// token: the token is <c>input.Slice(HeaderLength, TokenLength)</c> of the bytes parsed, so parsing
/// allocates nothing and works with the same generic readers as every other message.
/// </summary>
public readonly record struct GssapiMessage(GssapiMessageType Type, int TokenLength)
{
    public const byte Version = 0x01;

    /// <summary>VER, MTYP and LEN: the bytes in front of every token.</summary>
    public const int HeaderLength = 4;

    /// <summary>LEN is two octets.</summary>
    public const int MaxTokenLength = ushort.MaxValue;

    /// <summary>The token inside <paramref name="parsed"/>, the bytes this message was parsed from.</summary>
    public ReadOnlySpan<byte> TokenIn(ReadOnlySpan<byte> parsed) =>
        Type == GssapiMessageType.Abort ? [] : parsed.Slice(HeaderLength, TokenLength);

    /// <summary>
    /// Parses one message. A zero-length token is allowed by the frame; whether it makes sense is the caller's
    /// to judge (an empty context token means nothing, an empty encapsulated token cannot unwrap).
    /// </summary>
    public static ParseResult TryParse(ReadOnlySpan<byte> input, out GssapiMessage message)
    {
        message = default;
        if (input.IsEmpty)
        {
            return ParseResult.NeedMore;
        }

        if (input[0] != Version)
        {
            return ParseResult.Fail(ProtocolError.UnsupportedVersion);
        }

        if (input.Length < 2)
        {
            return ParseResult.NeedMore;
        }

        var type = (GssapiMessageType)input[1];
        if (type == GssapiMessageType.Abort)
        {
            message = new GssapiMessage(type, 0);
            return ParseResult.Done(2);
        }

        if (type is not (GssapiMessageType.ContextToken or GssapiMessageType.ProtectionLevel or GssapiMessageType.Encapsulated))
        {
            return ParseResult.Fail(ProtocolError.UnknownGssapiMessageType);
        }

        if (input.Length < HeaderLength)
        {
            return ParseResult.NeedMore;
        }

        int length = (input[2] << 8) | input[3];
        if (input.Length < HeaderLength + length)
        {
            return ParseResult.NeedMore;
        }

        message = new GssapiMessage(type, length);
        return ParseResult.Done(HeaderLength + length);
    }

    /// <summary>Writes a message with the given token; returns the bytes written (<see cref="HeaderLength"/> + token).</summary>
    public static int Write(Span<byte> destination, GssapiMessageType type, ReadOnlySpan<byte> token)
    {
        if (type == GssapiMessageType.Abort)
        {
            throw new ArgumentException("An abort carries no token; use WriteAbort.", nameof(type));
        }

        if (token.Length > MaxTokenLength)
        {
            throw new ArgumentException($"An RFC 1961 token is at most {MaxTokenLength} bytes; this one is {token.Length}.", nameof(token));
        }

        WriteHeader(destination, type, token.Length);
        token.CopyTo(destination[HeaderLength..]);
        return HeaderLength + token.Length;
    }

    /// <summary>Writes VER, MTYP and LEN for a token the caller places right after them.</summary>
    public static void WriteHeader(Span<byte> destination, GssapiMessageType type, int tokenLength)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(tokenLength, MaxTokenLength);
        ArgumentOutOfRangeException.ThrowIfNegative(tokenLength);
        destination[0] = Version;
        destination[1] = (byte)type;
        destination[2] = (byte)(tokenLength >> 8);
        destination[3] = (byte)tokenLength;
    }

    /// <summary>Writes the two-octet abort; returns 2.</summary>
    public static int WriteAbort(Span<byte> destination)
    {
        destination[0] = Version;
        destination[1] = (byte)GssapiMessageType.Abort;
        return 2;
    }
}
