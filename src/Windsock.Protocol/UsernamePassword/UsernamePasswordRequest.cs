using System.Text;

namespace Windsock.Protocol.UsernamePassword;

/// <summary>
/// The RFC 1929 sub-negotiation request.
/// <code>
/// +----+------+----------+------+----------+
/// |VER | ULEN |  UNAME   | PLEN |  PASSWD  |
/// +----+------+----------+------+----------+
/// | 1  |  1   | 1 to 255 |  1   | 1 to 255 |
/// +----+------+----------+------+----------+
/// </code>
/// VER is 1 (the sub-negotiation's version, not SOCKS's 5: a past bug of .NET's own client).
/// Names and passwords are UTF-8; invalid sequences decode to U+FFFD and so never match a stored user.
/// </summary>
public readonly record struct UsernamePasswordRequest(string UserName, string Password)
{
    public const byte Version = 0x01;

    public override string ToString() => $"UsernamePasswordRequest {{ UserName = {UserName}, Password = *** }}";

    public static ParseResult TryParse(ReadOnlySpan<byte> input, out UsernamePasswordRequest request)
    {
        request = default;
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

        int userLength = input[1];
        if (userLength == 0)
        {
            return ParseResult.Fail(ProtocolError.EmptyUserName);
        }

        if (input.Length < 2 + userLength + 1)
        {
            return ParseResult.NeedMore;
        }

        int passwordLength = input[2 + userLength];
        if (passwordLength == 0)
        {
            return ParseResult.Fail(ProtocolError.EmptyPassword);
        }

        int total = 3 + userLength + passwordLength;
        if (input.Length < total)
        {
            return ParseResult.NeedMore;
        }

        request = new UsernamePasswordRequest(
            Encoding.UTF8.GetString(input.Slice(2, userLength)),
            Encoding.UTF8.GetString(input.Slice(3 + userLength, passwordLength)));
        return ParseResult.Done(total);
    }

    public int Write(Span<byte> destination)
    {
        int userLength = Encoding.UTF8.GetByteCount(UserName);
        int passwordLength = Encoding.UTF8.GetByteCount(Password);
        if (userLength is 0 or > SocksLimits.MaxCredentialLength || passwordLength is 0 or > SocksLimits.MaxCredentialLength)
        {
            throw new InvalidOperationException("RFC 1929 user names and passwords are 1 to 255 bytes of UTF-8.");
        }

        destination[0] = Version;
        destination[1] = (byte)userLength;
        Encoding.UTF8.GetBytes(UserName, destination[2..]);
        destination[2 + userLength] = (byte)passwordLength;
        Encoding.UTF8.GetBytes(Password, destination[(3 + userLength)..]);
        return 3 + userLength + passwordLength;
    }
}
