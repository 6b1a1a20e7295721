using System.Text;

namespace Windsock.Server.Authentication;

/// <summary>
/// What a user name and a password may be. Both are limited to 255 UTF-8 bytes because RFC 1929
/// cannot carry more: a longer password could be stored but never sent. The name rules keep the
/// users file unambiguous (no ':' separator, no '#' comment start, no invisible edges).
/// </summary>
public static class CredentialRules
{
    public const int MaxBytes = 255;

    /// <returns>Null when valid; otherwise why not, as a sentence fragment for an error message.</returns>
    public static string? CheckUserName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0)
        {
            return "the user name is empty";
        }

        string? encoding = CheckEncoding(name, "user name");
        if (encoding is not null)
        {
            return encoding;
        }

        foreach (char c in name)
        {
            if (c == ':')
            {
                return "the user name contains ':'";
            }

            if (char.IsControl(c))
            {
                return "the user name contains a control character";
            }
        }

        if (name[0] == '#')
        {
            return "the user name starts with '#', which marks a comment in the users file";
        }

        if (char.IsWhiteSpace(name[0]) || char.IsWhiteSpace(name[^1]))
        {
            return "the user name starts or ends with white space";
        }

        return null;
    }

    /// <returns>Null when valid; otherwise why not.</returns>
    public static string? CheckPassword(string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        return password.Length == 0 ? "the password is empty" : CheckEncoding(password, "password");
    }

    private static string? CheckEncoding(string text, string what)
    {
        // U+FFFD is what the protocol layer decodes invalid UTF-8 to; storing it would let such
        // garbage match, so it is refused along with unpaired surrogates.
        if (text.Contains('\uFFFD', StringComparison.Ordinal))
        {
            return $"the {what} contains U+FFFD (a replacement character)";
        }

        int bytes;
        try
        {
            bytes = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetByteCount(text);
        }
        catch (EncoderFallbackException)
        {
            return $"the {what} is not valid Unicode";
        }

        return bytes > MaxBytes ? $"the {what} is longer than {MaxBytes} bytes of UTF-8 (SOCKS5 cannot send more)" : null;
    }
}
