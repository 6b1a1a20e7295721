using System.Globalization;

namespace Windsock.Server.Logging;

/// <summary>
/// The one rule for what of a client's text may reach a log as it is. A user name, host name or
/// ident answer is written byte for byte except for the characters a terminal, a log viewer or a
/// reader's eye would take for something else: control characters (C0 including CR, LF, ESC and
/// NUL; DEL; C1), format characters (the bidirectional controls U+202A-U+202E, U+2066-U+2069,
/// U+200E, U+200F, U+061C, zero-width characters, U+FEFF), the line and paragraph separators
/// U+2028 and U+2029, and unpaired surrogates. Those are escaped: <c>\xHH</c> up to U+00FF,
/// <c>\uHHHH</c> above; a backslash itself becomes <c>\\</c> so that no escape can be forged.
/// Text diagnostics, the text request log and (through <see cref="EscapeJsonLine"/>) the JSON
/// request log all use this rule.
/// </summary>
public static class LogText
{
    /// <summary>Is the UTF-16 unit at <paramref name="index"/> one that must not reach a log raw?</summary>
    public static bool MustEscape(string text, int index)
    {
        ArgumentNullException.ThrowIfNull(text);
        return MustEscape(text.AsSpan(), index);
    }

    /// <summary><see cref="MustEscape(string, int)"/> for text that is not a string (a value formatted in place).</summary>
    public static bool MustEscape(ReadOnlySpan<char> text, int index)
    {
        char c = text[index];
        if (char.IsHighSurrogate(c))
        {
            return index + 1 == text.Length || !char.IsLowSurrogate(text[index + 1]);
        }

        if (char.IsLowSurrogate(c))
        {
            return index == 0 || !char.IsHighSurrogate(text[index - 1]);
        }

        return char.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
    }

    /// <summary>The text with every character <see cref="MustEscape(string, int)"/> names escaped, and backslashes doubled.</summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!NeedsEscaping(text))
        {
            return text;
        }

        var result = new LogLineBuilder(text.Length + 16);
        try
        {
            AppendEscaped(ref result, text);
            return result.ToString();
        }
        finally
        {
            result.Dispose();
        }
    }

    /// <summary>
    /// Appends <paramref name="text"/> escaped as <see cref="Escape"/> does, and <paramref name="quote"/>
    /// (when given) as <c>\"</c>, for values written between quotes.
    /// </summary>
    internal static void AppendEscaped(ref LogLineBuilder result, scoped ReadOnlySpan<char> text, char quote = '\0')
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\\' || (c == quote && quote != '\0'))
            {
                result.Append('\\');
                result.Append(c);
            }
            else if (MustEscape(text, i))
            {
                AppendCode(ref result, c);
            }
            else
            {
                result.Append(c);
            }
        }
    }

    /// <summary>
    /// A JSON line with every raw character <see cref="MustEscape(string, int)"/> names written as the JSON
    /// escape <c>\uHHHH</c>: still the same JSON value for a parser, but nothing a terminal or a
    /// viewer acts on. Outside strings a JSON line holds only ASCII punctuation, digits and
    /// letters, so every such character is inside a string, where the escape is valid.
    /// </summary>
    public static string EscapeJsonLine(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        int first = FirstToEscape(json);
        if (first < 0)
        {
            return json;
        }

        var result = new LogLineBuilder(json.Length + 16);
        try
        {
            result.Append(json.AsSpan(0, first));
            for (int i = first; i < json.Length; i++)
            {
                if (MustEscape(json, i))
                {
                    result.Append(@"\u");
                    result.AppendFormatted((int)json[i], "x4");
                }
                else
                {
                    result.Append(json[i]);
                }
            }

            return result.ToString();
        }
        finally
        {
            result.Dispose();
        }
    }

    private static bool NeedsEscaping(string text) => text.Contains('\\', StringComparison.Ordinal) || FirstToEscape(text) >= 0;

    private static int FirstToEscape(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            // Printable ASCII is the common case and never escaped.
            if (text[i] is < ' ' or > '~' && MustEscape(text, i))
            {
                return i;
            }
        }

        return -1;
    }

    private static void AppendCode(ref LogLineBuilder result, char c)
    {
        if (c <= 0xFF)
        {
            result.Append(@"\x");
            result.AppendFormatted((int)c, "x2");
        }
        else
        {
            result.Append(@"\u");
            result.AppendFormatted((int)c, "x4");
        }
    }
}
