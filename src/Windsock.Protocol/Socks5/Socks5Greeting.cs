namespace Windsock.Protocol.Socks5;

/// <summary>
/// The client's first SOCKS5 message: the methods it can authenticate with.
/// <code>
/// +----+----------+----------+
/// |VER | NMETHODS | METHODS  |
/// +----+----------+----------+
/// | 1  |    1     | 1 to 255 |
/// +----+----------+----------+
/// </code>
/// NMETHODS = 0 parses as an empty set: the server then answers X'FF' rather than dropping the client silently.
/// </summary>
public readonly record struct Socks5Greeting(MethodSet Methods)
{
    public const byte Version = 0x05;

    public static ParseResult TryParse(ReadOnlySpan<byte> input, out Socks5Greeting greeting)
    {
        greeting = default;
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

        int count = input[1];
        if (input.Length < 2 + count)
        {
            return ParseResult.NeedMore;
        }

        greeting = new Socks5Greeting(MethodSet.From(input.Slice(2, count)));
        return ParseResult.Done(2 + count);
    }

    /// <summary>Writes a greeting offering <paramref name="methods"/> in the given order (clients list their preference).</summary>
    public static int Write(Span<byte> destination, ReadOnlySpan<byte> methods)
    {
        if (methods.Length is 0 or > 255)
        {
            throw new ArgumentException("A greeting offers 1 to 255 methods.", nameof(methods));
        }

        destination[0] = Version;
        destination[1] = (byte)methods.Length;
        methods.CopyTo(destination[2..]);
        return 2 + methods.Length;
    }
}
