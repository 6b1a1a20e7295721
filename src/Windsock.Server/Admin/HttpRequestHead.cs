using System.Text;

namespace Windsock.Server.Admin;

/// <summary>
/// The head of an HTTP/1.x request (request line and headers), parsed from bytes without I/O. The admin listener
/// reads one per connection and answers with Connection: close, so bodies, pipelining and chunking never arise;
/// what it cannot be is refused rather than guessed at (obs-fold, bare CR, a missing Host on HTTP/1.1).
/// </summary>
public sealed class HttpRequestHead
{
    /// <summary>Larger heads are refused (431): the admin API needs a request line and a few headers.</summary>
    public const int MaxLength = 16 * 1024;

    private readonly Dictionary<string, string> _headers;

    private HttpRequestHead(string method, string target, string version, Dictionary<string, string> headers)
    {
        Method = method;
        Target = target;
        Version = version;
        _headers = headers;
        int query = target.IndexOf('?', StringComparison.Ordinal);
        Path = query < 0 ? target : target[..query];
        Query = query < 0 ? string.Empty : target[(query + 1)..];
    }

    public string Method { get; }

    /// <summary>The request target as sent ("/api/sessions?user=alice").</summary>
    public string Target { get; }

    public string Path { get; }

    /// <summary>What follows the '?', without it; empty when there is none.</summary>
    public string Query { get; }

    /// <summary>"HTTP/1.1" or "HTTP/1.0".</summary>
    public string Version { get; }

    /// <summary>A header's value (names are case-insensitive; a repeated header's values are joined with ", ").</summary>
    public string? Header(string name) => _headers.GetValueOrDefault(name);

    /// <summary>
    /// Parses the head if <paramref name="input"/> holds all of it. Returns null while more is needed
    /// (<paramref name="error"/> null), or null with the reason the bytes can never be a request head.
    /// </summary>
    public static HttpRequestHead? TryParse(ReadOnlySpan<byte> input, out int consumed, out string? error)
    {
        consumed = 0;
        error = null;
        int end = input.IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            if (input.Length >= MaxLength)
            {
                error = "request head too large";
            }

            return null;
        }

        if (end + 4 > MaxLength)
        {
            error = "request head too large";
            return null;
        }

        var head = input[..end];
        foreach (byte b in head)
        {
            // Header text is visible ASCII, space and tab; CR and LF only as line ends. Anything else is refused.
            if (b is (< 0x20 and not (byte)'\t' and not (byte)'\r' and not (byte)'\n') or >= 0x7F)
            {
                error = "request head has bytes outside printable ASCII";
                return null;
            }
        }

        string[] lines = Encoding.ASCII.GetString(head).Split("\r\n");
        if (lines.Any(l => l.Contains('\r', StringComparison.Ordinal) || l.Contains('\n', StringComparison.Ordinal)))
        {
            error = "bare CR or LF in the request head";
            return null;
        }

        string[] requestLine = lines[0].Split(' ');
        if (requestLine.Length != 3 || requestLine[0].Length == 0 || !requestLine[0].All(char.IsAsciiLetterUpper) || !requestLine[1].StartsWith('/'))
        {
            error = "malformed request line";
            return null;
        }

        if (requestLine[2] is not ("HTTP/1.1" or "HTTP/1.0"))
        {
            error = "only HTTP/1.0 and HTTP/1.1 are served";
            return null;
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string line in lines.Skip(1))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || line[0] is ' ' or '\t' || line[..colon].Any(c => c is ' ' or '\t'))
            {
                error = "malformed header line";
                return null;
            }

            string name = line[..colon];
            string value = line[(colon + 1)..].Trim(' ', '\t');
            headers[name] = headers.TryGetValue(name, out string? earlier) ? $"{earlier}, {value}" : value;
        }

        if (requestLine[2] == "HTTP/1.1" && !headers.ContainsKey("Host"))
        {
            error = "HTTP/1.1 request without a Host header";
            return null;
        }

        consumed = end + 4;
        return new HttpRequestHead(requestLine[0], requestLine[1], requestLine[2], headers);
    }

    /// <summary>The query's parameters, percent-decoded ('+' as space); a repeated name keeps its last value.</summary>
    public IReadOnlyDictionary<string, string> QueryParameters()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string pair in Query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            string name = equals < 0 ? pair : pair[..equals];
            string value = equals < 0 ? string.Empty : pair[(equals + 1)..];
            result[Uri.UnescapeDataString(name.Replace('+', ' '))] = Uri.UnescapeDataString(value.Replace('+', ' '));
        }

        return result;
    }
}
