using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace Windsock.Cli;

/// <summary>Parses listen addresses as administrators write them: 127.0.0.1:1080, [::1]:1080, 0.0.0.0:1080.</summary>
internal static class EndPointParser
{
    public static bool TryParse(string text, [NotNullWhen(true)] out IPEndPoint? endPoint, [NotNullWhen(false)] out string? error)
    {
        endPoint = null;
        error = null;
        bool hasPort = text.StartsWith('[') ? text.Contains("]:", StringComparison.Ordinal) : text.Count(c => c == ':') == 1;
        if (!hasPort)
        {
            error = $"'{text}' has no port: write ADDRESS:PORT, e.g. 127.0.0.1:1080 or [::1]:1080";
            return false;
        }

        if (!IPEndPoint.TryParse(text, out endPoint))
        {
            error = $"'{text}' is not ADDRESS:PORT with a numeric IPv4 or bracketed IPv6 address, e.g. 0.0.0.0:1080 or [::]:1080";
            return false;
        }

        return true;
    }
}
