using System.Globalization;
using System.Text;

namespace Windsock.Protocol.Ident;

/// <summary>
/// An RFC 1413 response line.
/// <code>
/// &lt;port-pair&gt; : USERID : &lt;opsys&gt;[ , &lt;charset&gt;] : &lt;user-id&gt;
/// &lt;port-pair&gt; : ERROR : &lt;error-type&gt;
/// </code>
/// The user id is everything after the third colon (it may itself contain colons), with surrounding
/// blanks removed; it is decoded as UTF-8 whatever charset the identd claims, and characters below
/// 0x20 are refused, so an identd cannot smuggle line breaks into logs or hook commands.
/// </summary>
public readonly record struct IdentReply(ushort PortOnQueriedHost, ushort PortOnQueryingHost, IdentReplyKind Kind, string? OperatingSystem, string? UserId, string? Error)
{
    /// <summary>RFC 1413 bounds a response line at 1000 characters; longer lines are malformed.</summary>
    public const int MaxLineLength = 1000;

    /// <summary>
    /// Parses one line. NeedMore until a line feed arrives (CR LF or a bare LF, as some identds send);
    /// Done with the bytes of the line and its terminator.
    /// </summary>
    public static ParseResult TryParse(ReadOnlySpan<byte> input, out IdentReply reply)
    {
        reply = default;
        int end = input.IndexOf((byte)'\n');
        if (end < 0)
        {
            return input.Length >= MaxLineLength ? ParseResult.Fail(ProtocolError.InvalidIdentReply) : ParseResult.NeedMore;
        }

        if (end > MaxLineLength)
        {
            return ParseResult.Fail(ProtocolError.InvalidIdentReply);
        }

        var line = input[..end];
        if (!line.IsEmpty && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        if (line.IndexOf((byte)0) >= 0)
        {
            return ParseResult.Fail(ProtocolError.InvalidIdentReply);
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(line);
        }
        catch (DecoderFallbackException)
        {
            return ParseResult.Fail(ProtocolError.InvalidIdentReply);
        }

        var parts = text.Split(':', 4);
        if (parts.Length < 3 || !TryParsePorts(parts[0], out var queriedPort, out var queryingPort))
        {
            return ParseResult.Fail(ProtocolError.InvalidIdentReply);
        }

        var type = parts[1].Trim(' ', '\t');
        if (type.Equals("ERROR", StringComparison.OrdinalIgnoreCase) && parts.Length == 3)
        {
            var error = parts[2].Trim(' ', '\t');
            if (error.Length == 0)
            {
                return ParseResult.Fail(ProtocolError.InvalidIdentReply);
            }

            reply = new IdentReply(queriedPort, queryingPort, IdentReplyKind.Error, null, null, error);
            return ParseResult.Done(end + 1);
        }

        if (!type.Equals("USERID", StringComparison.OrdinalIgnoreCase) || parts.Length != 4)
        {
            return ParseResult.Fail(ProtocolError.InvalidIdentReply);
        }

        var system = parts[2].Split(',', 2)[0].Trim(' ', '\t');
        var user = parts[3].Trim(' ', '\t');
        if (system.Length == 0 || user.Length == 0 || user.Any(char.IsControl))
        {
            return ParseResult.Fail(ProtocolError.InvalidIdentReply);
        }

        reply = new IdentReply(queriedPort, queryingPort, IdentReplyKind.UserId, system, user, null);
        return ParseResult.Done(end + 1);
    }

    private static bool TryParsePorts(string text, out ushort first, out ushort second)
    {
        first = second = 0;
        var ports = text.Split(',');
        return ports.Length == 2
            && ushort.TryParse(ports[0].Trim(' ', '\t'), NumberStyles.None, CultureInfo.InvariantCulture, out first)
            && ushort.TryParse(ports[1].Trim(' ', '\t'), NumberStyles.None, CultureInfo.InvariantCulture, out second)
            && first != 0 && second != 0;
    }
}
