using System.Buffers;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Windsock.Server.Admin;
using Windsock.Server.Metrics;

namespace Windsock.Fuzz;

/// <summary>
/// The admin listener's HTTP request head (<see cref="HttpRequestHead"/>), as AdminServer reads it: the bytes so
/// far after every receive. Rules: it throws nothing; every prefix shorter than the head is "more needed"; the
/// head is done exactly at its blank line and reads the same however many bytes follow; a refusal has a
/// reason and stays the same refusal; a head is never over <see cref="HttpRequestHead.MaxLength"/>. A head that
/// parsed is what it claims (an upper-case method, a target starting with '/', path and query that make up the
/// target, a Host on HTTP/1.1), and its query gives the session filter or a problem, nothing else. Then the
/// head goes where AdminServer sends it, <see cref="AdminApi.Handle"/> (one API with a token, one without, no
/// live sessions): it answers with a response whose head is one status line and headers of printable ASCII
/// (nothing the request said splits it), a Content-Length that is the body's, and no body to HEAD.
/// </summary>
public static class HttpRequestHeadTarget
{
    private static readonly SearchValues<byte> PrintableOrLineEnd = SearchValues.Create([.. Enumerable.Range(0x20, 0x7F - 0x20).Select(b => (byte)b), (byte)'\r', (byte)'\n']);
    private static readonly Lazy<AdminApi> WithToken = new(() => NewApi("fuzz-token"));
    private static readonly Lazy<AdminApi> WithoutToken = new(() => NewApi(null));

    public static void Run(ReadOnlyMemory<byte> input)
    {
        var bytes = input.Span;
        FuzzFailure.Unless(Read(bytes[..0]) == Outcome.More, "the empty input is not 'more needed'");

        var settled = Outcome.More;
        int settledAt = 0;
        for (int length = 1; length <= bytes.Length; length++)
        {
            var now = Read(bytes[..length]);
            if (settled == Outcome.More)
            {
                FuzzFailure.Unless(now.Consumed is 0 || now.Consumed == length, $"a head done at {length} bytes claims {now.Consumed}");
                settled = now;
                settledAt = length;
            }
            else
            {
                FuzzFailure.Unless(now == settled, $"'{settled}' at {settledAt} bytes became '{now}' at {length}");
            }

            if (settled != Outcome.More && length > settledAt + 16 && length < bytes.Length)
            {
                // Settled a while ago: check the whole input next rather than every length up to it.
                length = bytes.Length - 1;
            }
        }

        if (HttpRequestHead.TryParse(bytes, out _, out _) is { } head)
        {
            Answer(WithToken.Value, head, overUnixSocket: false);
            Answer(WithoutToken.Value, head, overUnixSocket: false);
            Answer(WithoutToken.Value, head, overUnixSocket: true);
        }
    }

    private static void Answer(AdminApi api, HttpRequestHead request, bool overUnixSocket)
    {
        var response = api.Handle(request, overUnixSocket, "127.0.0.1:1");
        bool isHead = request.Method == "HEAD";
        var sent = response.Encode(isHead);
        int end = sent.AsSpan().IndexOf("\r\n\r\n"u8);
        FuzzFailure.Unless(end > 0, $"a {response.Status} response without the end of its head");
        string head = Encoding.ASCII.GetString(sent, 0, end);
        FuzzFailure.Unless(!sent.AsSpan(0, end).ContainsAnyExcept(PrintableOrLineEnd), "a response head with bytes outside printable ASCII");
        string[] lines = head.Split("\r\n");
        FuzzFailure.Unless(lines.All(l => l.Length > 0 && !l.Contains('\r', StringComparison.Ordinal) && !l.Contains('\n', StringComparison.Ordinal)), "a bare CR or LF in the response head");
        FuzzFailure.Unless(lines[0].StartsWith(string.Create(CultureInfo.InvariantCulture, $"HTTP/1.1 {response.Status} "), StringComparison.Ordinal), $"status line '{lines[0]}'");
        FuzzFailure.Unless(lines.Skip(1).All(l => l.IndexOf(": ", StringComparison.Ordinal) > 0), "a response header line without a name");
        FuzzFailure.Unless(lines.Contains(string.Create(CultureInfo.InvariantCulture, $"Content-Length: {response.Body.Length}")), "Content-Length is not the body's");
        FuzzFailure.Unless(sent.Length == end + 4 + (isHead ? 0 : response.Body.Length), "the body sent is not the body announced");
    }

    private static AdminApi NewApi(string? token)
    {
        // One per fuzzing process, for its whole life.
        var metrics = new ServerMetrics();
        return new AdminApi(metrics, new MetricsCollector(metrics.Meter), token, NullLogger.Instance);
    }

    /// <summary>What one call made of the bytes, as text, so that two calls compare.</summary>
    private readonly record struct Outcome(int Consumed, string? Head, string? Error)
    {
        public static readonly Outcome More = new(0, null, null);

        public override string ToString() => Head ?? (Error is null ? "more needed" : "refused: " + Error);
    }

    private static Outcome Read(ReadOnlySpan<byte> bytes)
    {
        var head = HttpRequestHead.TryParse(bytes, out int consumed, out string? error);
        if (head is null)
        {
            FuzzFailure.Unless(consumed == 0, "no head, yet bytes consumed");
            FuzzFailure.Unless(error is null || error.Length > 0, "a refusal without a reason");
            return new Outcome(0, null, error);
        }

        FuzzFailure.Unless(error is null, $"a head and an error ({error})");
        FuzzFailure.Unless(consumed >= 4 && consumed <= HttpRequestHead.MaxLength && bytes[..consumed].EndsWith("\r\n\r\n"u8), $"a head of {consumed} bytes");
        FuzzFailure.Unless(head.Method.Length > 0 && head.Method.All(char.IsAsciiLetterUpper), $"method '{head.Method}'");
        FuzzFailure.Unless(head.Version is "HTTP/1.0" or "HTTP/1.1", $"version '{head.Version}'");
        FuzzFailure.Unless(head.Path.StartsWith('/') && (head.Target == head.Path || head.Target == head.Path + "?" + head.Query), $"target '{head.Target}' is not path '{head.Path}' and query '{head.Query}'");
        FuzzFailure.Unless(head.Version == "HTTP/1.0" || head.Header("Host") is not null, "HTTP/1.1 without a Host");

        var query = head.QueryParameters();
        bool filtered = SessionFilter.TryParse(query, out var filter, out string? problem);
        FuzzFailure.Unless(filtered == (problem is null) && filter is not null, "a session filter without a verdict");

        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"{head.Method} {head.Target} {head.Version}");
        foreach (string name in (string[])["Host", "Connection", "Authorization", "Accept", "User-Agent"])
        {
            text.Append(CultureInfo.InvariantCulture, $"|{name}={head.Header(name)}");
        }

        foreach (var (name, value) in query.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"|?{name}={value}");
        }

        text.Append(CultureInfo.InvariantCulture, $"|{filter} {problem}");
        return new Outcome(consumed, text.ToString(), null);
    }
}
