using System.Globalization;
using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace Windsock.Client.Routing;

internal static class Destination
{
    /// <summary>An address literal, IPv6 with or without brackets; IPv4-mapped IPv6 as IPv4. Names are not addresses.</summary>
    public static bool TryParseAddress(string host, [NotNullWhen(true)] out IPAddress? address)
    {
        string bare = host.Length > 2 && host[0] == '[' && host[^1] == ']' ? host[1..^1] : host;
        // IPAddress.TryParse also takes "1" or "0x7f.1"; only the usual dotted quad or an IPv6 literal count.
        if ((bare.Contains(':', StringComparison.Ordinal) || bare.Count(c => c == '.') == 3) && IPAddress.TryParse(bare, out address))
        {
            if (address.IsIPv4MappedToIPv6)
            {
                address = address.MapToIPv4();
            }

            return true;
        }

        address = null;
        return false;
    }

    public static string Format(string host, int port) =>
        host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[')
            ? string.Create(CultureInfo.InvariantCulture, $"[{host}]:{port}")
            : string.Create(CultureInfo.InvariantCulture, $"{host}:{port}");
}
