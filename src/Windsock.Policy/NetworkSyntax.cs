using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Windsock.Policy;

/// <summary>
/// Strict textual forms of addresses and networks. <see cref="IPAddress.TryParse(string, out IPAddress)"/>
/// also takes "10.1", "0x7f.1" and "2130706433", which other tools read differently (octal "010");
/// in an access list that ambiguity is a hole, so only dotted-quad IPv4 and standard IPv6 pass.
/// A network with bits set after its prefix ("10.1.2.3/8") is refused: the writer meant either the
/// host or the network and we cannot know which.
/// </summary>
public static class NetworkSyntax
{
    /// <summary>A strict address: dotted-quad IPv4 or standard IPv6; a scope id ("%eth0") only when <paramref name="allowScopeId"/> (a listen address may need one, a rule never).</summary>
    public static bool TryParseAddress(string text, [NotNullWhen(true)] out IPAddress? address, out string? error, bool allowScopeId = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        error = null;
        if (text.Length == 0 || !IPAddress.TryParse(text, out address))
        {
            address = null;
            error = $"\"{text}\" is not an IP address; write an IPv4 address like 192.0.2.10 or an IPv6 address like 2001:db8::10 (host names are not resolved here)";
            return false;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork && !IsDottedQuad(text))
        {
            error = $"\"{text}\" is not a plain dotted-quad IPv4 address; write all four decimal parts without leading zeros, e.g. {address}";
            address = null;
            return false;
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0 && !allowScopeId)
        {
            error = $"\"{text}\" has a scope id; leave out the %interface part";
            address = null;
            return false;
        }

        return true;
    }

    /// <summary>"ADDRESS/PREFIX" or a bare address (a single host, /32 or /128).</summary>
    public static bool TryParseNetwork(string text, out IPNetwork network, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        network = default;
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        string addressText = slash < 0 ? text : text[..slash];
        if (addressText.StartsWith('[') && addressText.EndsWith(']'))
        {
            error = $"\"{text}\" puts the address in brackets; write networks without brackets, e.g. \"{addressText[1..^1]}{(slash < 0 ? "" : text[slash..])}\"";
            return false;
        }

        if (!TryParseAddress(addressText, out IPAddress? address, out error))
        {
            error = $"network \"{text}\": {error}";
            return false;
        }

        int maxPrefix = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        int prefix = maxPrefix;
        if (slash >= 0)
        {
            string prefixText = text[(slash + 1)..];
            if (prefixText.Length is 0 or > 3
                || !int.TryParse(prefixText, NumberStyles.None, CultureInfo.InvariantCulture, out prefix)
                || prefix > maxPrefix)
            {
                error = string.Create(CultureInfo.InvariantCulture, $"network \"{text}\" has an invalid prefix length \"{prefixText}\"; use 0 to {maxPrefix}");
                return false;
            }
        }

        IPAddress masked = Mask(address, prefix);
        if (!masked.Equals(address))
        {
            error = string.Create(CultureInfo.InvariantCulture, $"network \"{text}\" has bits set after the /{prefix} prefix; write \"{masked}/{prefix}\" for the network or \"{address}/{maxPrefix}\" for the single host");
            return false;
        }

        network = new IPNetwork(address, prefix);
        return true;
    }

    /// <summary>
    /// True when the text is meant as an address or network rather than a host name: it has a ':' or
    /// '/', or only digits and dots. No top-level domain is all digits, so no real name is lost.
    /// </summary>
    internal static bool LooksLikeAddress(string text)
    {
        if (text.Contains(':', StringComparison.Ordinal) || text.Contains('/', StringComparison.Ordinal))
        {
            return true;
        }

        bool digit = false;
        foreach (char c in text)
        {
            if (char.IsAsciiDigit(c))
            {
                digit = true;
            }
            else if (c != '.')
            {
                return false;
            }
        }

        return digit;
    }

    internal static IPAddress Mask(IPAddress address, int prefix)
    {
        byte[] bytes = address.GetAddressBytes();
        for (int i = 0; i < bytes.Length; i++)
        {
            int bitsKept = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF00 >> bitsKept);
        }

        return new IPAddress(bytes);
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
