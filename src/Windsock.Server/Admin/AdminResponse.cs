using System.Globalization;
using System.Text;

namespace Windsock.Server.Admin;

/// <summary>One answer of the admin listener: a status, a content type and the whole body (every answer is small).</summary>
public sealed record AdminResponse(int Status, string ContentType, byte[] Body, IReadOnlyList<KeyValuePair<string, string>>? Headers = null)
{
    public const string Json = "application/json; charset=utf-8";
    public const string Html = "text/html; charset=utf-8";

    public static AdminResponse Text(int status, string contentType, string body, IReadOnlyList<KeyValuePair<string, string>>? headers = null) =>
        new(status, contentType, Encoding.UTF8.GetBytes(body), headers);

    /// <summary>An error as JSON: {"error": "..."}.</summary>
    public static AdminResponse Error(int status, string message, IReadOnlyList<KeyValuePair<string, string>>? headers = null) =>
        new(status, Json, StatusJson.Error(message), headers);

    /// <summary>The status line, headers and body as sent: Connection: close, no caching, no sniffing.</summary>
    public byte[] Encode(bool head = false)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {Status} {Reason(Status)}\r\n");
        text.Append(CultureInfo.InvariantCulture, $"Content-Type: {ContentType}\r\n");
        text.Append(CultureInfo.InvariantCulture, $"Content-Length: {Body.Length}\r\n");
        text.Append("Connection: close\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n");
        if (ContentType == Html)
        {
            // The page runs no script and loads nothing: a value a client chose cannot become markup that acts.
            text.Append("Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\nX-Frame-Options: DENY\r\n");
        }

        foreach (var header in Headers ?? [])
        {
            text.Append(header.Key).Append(": ").Append(header.Value).Append("\r\n");
        }

        text.Append("\r\n");
        byte[] start = Encoding.ASCII.GetBytes(text.ToString());
        return head ? start : [.. start, .. Body];
    }

    private static string Reason(int status) => status switch
    {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        421 => "Misdirected Request",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Error",
    };
}
