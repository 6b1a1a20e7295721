namespace Windsock.Protocol.Socks5;

/// <summary>
/// The server's answer to a greeting.
/// <code>
/// +----+--------+
/// |VER | METHOD |
/// +----+--------+
/// | 1  |   1    |
/// +----+--------+
/// </code>
/// </summary>
public static class Socks5MethodSelection
{
    public const int Length = 2;

    public static int Write(Span<byte> destination, byte method)
    {
        destination[0] = Socks5Greeting.Version;
        destination[1] = method;
        return Length;
    }

    public static int Write(Span<byte> destination, AuthMethod method) => Write(destination, (byte)method);

    public static ParseResult TryParse(ReadOnlySpan<byte> input, out byte method)
    {
        method = 0;
        if (input.IsEmpty)
        {
            return ParseResult.NeedMore;
        }

        if (input[0] != Socks5Greeting.Version)
        {
            return ParseResult.Fail(ProtocolError.UnsupportedVersion);
        }

        if (input.Length < Length)
        {
            return ParseResult.NeedMore;
        }

        method = input[1];
        return ParseResult.Done(Length);
    }
}
