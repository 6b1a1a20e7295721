using System.Text;

namespace Windsock.Cli.Run;

/// <summary>
/// The field encoding of the control protocol between <c>windsock run</c> and its preload
/// (native/preload/control.c): lines of space-separated fields, where a value that may hold spaces
/// (a name, a password, a message) is percent-encoded byte by byte, and an empty value is "-".
/// Encoding and decoding here match the C side exactly.
/// </summary>
internal static class ControlText
{
    public static string Encode(string value)
    {
        if (value.Length == 0)
        {
            return "-";
        }

        var text = new StringBuilder(value.Length);
        foreach (byte b in Encoding.UTF8.GetBytes(value))
        {
            if (b <= (byte)' ' || b >= 0x7F || b == (byte)'%' || b == (byte)'-')
            {
                text.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                text.Append((char)b);
            }
        }

        return text.ToString();
    }

    public static string Decode(string field)
    {
        if (field == "-")
        {
            return string.Empty;
        }

        var bytes = new List<byte>(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '%' && i + 2 < field.Length && Uri.IsHexDigit(field[i + 1]) && Uri.IsHexDigit(field[i + 2]))
            {
                bytes.Add((byte)Convert.ToInt32(field.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(field[i].ToString()));
            }
        }

        return Encoding.UTF8.GetString([.. bytes]);
    }
}
