using System.Globalization;
using System.Text;

namespace Windsock.Protocol.Probes;

/// <summary>
/// One line of Windsock's PING / TRACEROUTE text (docs/protocol-extensions.md): a word, then
/// <c>key=value</c> fields separated by single spaces, then LF.
/// <code>
/// line  = word *( SP field ) LF
/// field = key "=" value
/// key   = ALPHA *( ALPHA / DIGIT / "_" )      ; lower case
/// value = bare / DQUOTE *( char / "\" ( DQUOTE / "\" ) ) DQUOTE
/// </code>
/// A bare value is printable US-ASCII without space, DQUOTE, "=" or "\"; anything else is quoted.
/// Control characters and bytes above X'7E' never travel: the writer replaces them with "?" (values are
/// reasons for a person, addresses and numbers), so a line is always one line.
/// </summary>
public sealed class ProbeLine
{
    /// <summary>The longest result line, LF included.</summary>
    public const int MaxLength = 1024;

    /// <summary>The longest options line, LF included.</summary>
    public const int MaxOptionsLength = 512;

    private readonly KeyValuePair<string, string>[] _fields;

    /// <param name="word">The record's first word (lower-case letters).</param>
    /// <param name="fields">Keys (lower case, letters, digits and "_", starting with a letter) and values, in order.</param>
    /// <exception cref="ArgumentException">A word or key outside the grammar, or a key given twice.</exception>
    public ProbeLine(string word, params KeyValuePair<string, string>[] fields)
    {
        ArgumentNullException.ThrowIfNull(word);
        ArgumentNullException.ThrowIfNull(fields);
        if (!IsWord(word))
        {
            throw new ArgumentException($"'{word}' is not a line word (lower-case letters)", nameof(word));
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in fields)
        {
            ArgumentNullException.ThrowIfNull(value);
            if (!IsKey(key) || !seen.Add(key))
            {
                throw new ArgumentException($"'{key}' is not a key, or is given twice", nameof(fields));
            }
        }

        Word = word;
        _fields = [.. fields];
    }

    /// <summary>The first word: reply, timeout, hop, error, summary (results), options (the client's options line).</summary>
    public string Word { get; }

    /// <summary>The fields in the order they were written.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Fields => _fields;

    /// <summary>The value of <paramref name="key"/>, or null when the line has no such field.</summary>
    public string? this[string key]
    {
        get
        {
            foreach (var (k, v) in _fields)
            {
                if (string.Equals(k, key, StringComparison.Ordinal))
                {
                    return v;
                }
            }

            return null;
        }
    }

    /// <summary>A field as a non-negative integer (decimal digits only).</summary>
    public bool TryGetInt(string key, out int value)
    {
        value = 0;
        return this[key] is { } text && text.All(char.IsAsciiDigit)
            && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>A field as a non-negative decimal number ("0.25", "3").</summary>
    public bool TryGetNumber(string key, out double value)
    {
        value = 0;
        return this[key] is { } text && IsDecimal(text)
            && double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>A number as the lines write it: at most three decimals, "." as separator, no exponent.</summary>
    public static string Number(double value) =>
        Math.Round(value, 3).ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>The line as text, LF included.</summary>
    public override string ToString()
    {
        var text = new StringBuilder(Word);
        foreach (var (key, value) in _fields)
        {
            text.Append(' ').Append(key).Append('=');
            AppendValue(text, value);
        }

        return text.Append('\n').ToString();
    }

    /// <summary>
    /// Writes the line (LF included) and returns its length. A line longer than <see cref="MaxLength"/> loses
    /// fields from its end until it fits: a reason text is the only field that can be long, and it comes last.
    /// </summary>
    public int Write(Span<byte> destination)
    {
        string text = ToString();
        int fieldCount = _fields.Length;
        while (text.Length > MaxLength && fieldCount > 0)
        {
            fieldCount--;
            text = new ProbeLine(Word, _fields[..fieldCount]).ToString();
        }

        return Encoding.ASCII.GetBytes(text, destination);
    }

    /// <summary>
    /// Parses one line from the start of <paramref name="input"/>: NeedMore until its LF arrives, an error for a line
    /// outside the grammar or longer than <paramref name="maxLength"/>. A CR before the LF is accepted (and ignored).
    /// </summary>
    public static ParseResult TryParse(ReadOnlySpan<byte> input, out ProbeLine? line, int maxLength = MaxLength)
    {
        line = null;
        int end = input[..Math.Min(input.Length, maxLength)].IndexOf((byte)'\n');
        if (end < 0)
        {
            return input.Length >= maxLength ? ParseResult.Fail(ProtocolError.ProbeLineTooLong) : ParseResult.NeedMore;
        }

        var body = input[..end];
        if (!body.IsEmpty && body[^1] == (byte)'\r')
        {
            body = body[..^1];
        }

        line = ParseBody(body);
        return line is null ? ParseResult.Fail(ProtocolError.InvalidProbeLine) : ParseResult.Done(end + 1);
    }

    private static ProbeLine? ParseBody(ReadOnlySpan<byte> body)
    {
        int i = 0;
        while (i < body.Length && body[i] != (byte)' ')
        {
            i++;
        }

        string word = Encoding.ASCII.GetString(body[..i]);
        if (!IsWord(word))
        {
            return null;
        }

        var fields = new List<KeyValuePair<string, string>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (i < body.Length)
        {
            // Exactly one space before each field.
            i++;
            int keyStart = i;
            while (i < body.Length && body[i] != (byte)'=')
            {
                i++;
            }

            if (i >= body.Length)
            {
                return null;
            }

            string key = Encoding.ASCII.GetString(body[keyStart..i]);
            if (!IsKey(key) || !seen.Add(key))
            {
                return null;
            }

            i++;
            if (ReadValue(body, ref i) is not { } value)
            {
                return null;
            }

            if (i < body.Length && body[i] != (byte)' ')
            {
                return null;
            }

            fields.Add(new(key, value));
        }

        return new ProbeLine(word, [.. fields]);
    }

    private static string? ReadValue(ReadOnlySpan<byte> body, ref int i)
    {
        if (i < body.Length && body[i] == (byte)'"')
        {
            var text = new StringBuilder();
            i++;
            while (i < body.Length)
            {
                byte b = body[i];
                if (b == (byte)'"')
                {
                    i++;
                    return text.ToString();
                }

                if (b == (byte)'\\')
                {
                    if (i + 1 >= body.Length || body[i + 1] is not ((byte)'"' or (byte)'\\'))
                    {
                        return null;
                    }

                    text.Append((char)body[i + 1]);
                    i += 2;
                    continue;
                }

                if (b < 0x20 || b > 0x7E)
                {
                    return null;
                }

                text.Append((char)b);
                i++;
            }

            return null;
        }

        int start = i;
        while (i < body.Length && body[i] != (byte)' ')
        {
            if (!IsBare(body[i]))
            {
                return null;
            }

            i++;
        }

        return i == start ? null : Encoding.ASCII.GetString(body[start..i]);
    }

    private static void AppendValue(StringBuilder text, string value)
    {
        if (value.Length > 0 && value.All(c => c < 0x80 && IsBare((byte)c)))
        {
            text.Append(value);
            return;
        }

        text.Append('"');
        foreach (char c in value)
        {
            if (c is '"' or '\\')
            {
                text.Append('\\').Append(c);
            }
            else
            {
                text.Append(c is >= ' ' and <= '~' ? c : '?');
            }
        }

        text.Append('"');
    }

    private static bool IsBare(byte b) => b is > 0x20 and <= 0x7E and not (byte)'"' and not (byte)'=' and not (byte)'\\';

    private static bool IsWord(string word) => word.Length is > 0 and <= 32 && word.All(char.IsAsciiLetterLower);

    private static bool IsKey(string key) =>
        key.Length is > 0 and <= 32 && char.IsAsciiLetterLower(key[0]) && key.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_');

    private static bool IsDecimal(string text)
    {
        int dot = text.IndexOf('.', StringComparison.Ordinal);
        return text.Length > 0 && text.Count(c => c == '.') <= 1 && dot != 0 && dot != text.Length - 1
            && text.All(c => char.IsAsciiDigit(c) || c == '.');
    }
}
