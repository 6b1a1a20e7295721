namespace Windsock.Protocol.UsernamePassword;

/// <summary>
/// The RFC 1929 answer: VER=1 | STATUS, where 0 is success and anything else failure
/// (after which the server closes the connection).
/// </summary>
public static class UsernamePasswordReply
{
    public const int Length = 2;
    public const byte Success = 0x00;
    public const byte Failure = 0x01;

    public static int Write(Span<byte> destination, bool success)
    {
        destination[0] = UsernamePasswordRequest.Version;
        destination[1] = success ? Success : Failure;
        return Length;
    }

    public static ParseResult TryParse(ReadOnlySpan<byte> input, out bool success)
    {
        success = false;
        if (input.IsEmpty)
        {
            return ParseResult.NeedMore;
        }

        if (input[0] != UsernamePasswordRequest.Version)
        {
            return ParseResult.Fail(ProtocolError.UnsupportedVersion);
        }

        if (input.Length < Length)
        {
            return ParseResult.NeedMore;
        }

        success = input[1] == Success;
        return ParseResult.Done(Length);
    }
}
