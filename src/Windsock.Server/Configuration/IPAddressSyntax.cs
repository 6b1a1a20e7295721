using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace Windsock.Server.Configuration;

/// <summary>
/// IP addresses in the strict textual forms. <see cref="IPAddress.TryParse(string, out IPAddress)"/>
/// also accepts "10.1", "0x7f.1" and "2130706433", which a firewall administrator almost never
/// means and which other tools read differently (octal "010"); in an access list that ambiguity is
/// a hole, so only dotted-quad IPv4 and standard IPv6 are allowed.
/// </summary>
internal static class IPAddressSyntax
{
    public static bool TryParse(string text, [NotNullWhen(true)] out IPAddress? address, out ValueProblem problem)
    {
        problem = default;
        if (!IPAddress.TryParse(text, out address))
        {
            problem = new ValueProblem($"\"{text}\" is not an IP address", "write an IPv4 address like 192.0.2.10 or an IPv6 address like 2001:db8::10; host names are not resolved here");
            return false;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork && !IsDottedQuad(text))
        {
            problem = new ValueProblem($"\"{text}\" is not a plain dotted-quad IPv4 address", $"write all four decimal parts without leading zeros, e.g. {address}");
            address = null;
            return false;
        }

        return true;
    }

    private static bool IsDottedQuad(string text)
    {
        int parts = 0;
        foreach (Range range in text.AsSpan().Split('.'))
        {
            ReadOnlySpan<char> part = text.AsSpan()[range];
            if (part.Length is 0 or > 3 || (part.Length > 1 && part[0] == '0'))
            {
                return false;
            }

            foreach (char c in part)
            {
                if (!char.IsAsciiDigit(c))
                {
                    return false;
                }
            }

            parts++;
        }

        return parts == 4;
    }
}
