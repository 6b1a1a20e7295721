namespace Windsock.Server.Logging;

/// <summary>
/// A text line's time stamp, <c>yyyy-MM-ddTHH:mm:ss.fffZ</c> in UTC, written digit by digit. DateTime's custom format
/// parses its pattern on every call; with two lines per session that was a twentieth of a connection's user time
/// (docs/benchmarks.md, "Connections, round five").
/// </summary>
internal static class LogTimestamp
{
    /// <summary>The characters a time stamp takes.</summary>
    public const int Length = 24;

    /// <summary>Writes <paramref name="utc"/> into the first <see cref="Length"/> characters of <paramref name="into"/>.</summary>
    public static void Write(DateTime utc, Span<char> into)
    {
        into = into[..Length];
        Digits(into, utc.Year, 4);
        into[4] = '-';
        Digits(into[5..], utc.Month, 2);
        into[7] = '-';
        Digits(into[8..], utc.Day, 2);
        into[10] = 'T';
        Digits(into[11..], utc.Hour, 2);
        into[13] = ':';
        Digits(into[14..], utc.Minute, 2);
        into[16] = ':';
        Digits(into[17..], utc.Second, 2);
        into[19] = '.';
        Digits(into[20..], utc.Millisecond, 3);
        into[23] = 'Z';
    }

    /// <summary>The time stamp as a string (lines that are not about a session).</summary>
    public static string Format(DateTime utc) => string.Create(Length, utc, static (chars, time) => Write(time, chars));

    private static void Digits(Span<char> into, int value, int count)
    {
        for (int i = count - 1; i >= 0; i--)
        {
            into[i] = (char)('0' + (value % 10));
            value /= 10;
        }
    }
}
