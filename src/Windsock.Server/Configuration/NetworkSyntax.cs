using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Windsock.Server.Configuration;

/// <summary>
/// Client networks in CIDR form ("10.0.0.0/8", "2001:db8::/32"); a bare address is a single host.
/// A network with host bits set ("10.1.2.3/8") is refused with the corrected form, because the
/// writer meant either the host or the network and we cannot know which.
/// </summary>
internal static class NetworkSyntax
{
    public static bool TryParse(string text, out IPNetwork network, out ValueProblem problem)
    {
        network = default;
        problem = default;

        int slash = text.IndexOf('/', StringComparison.Ordinal);
        string addressText = slash < 0 ? text : text[..slash];
        if (addressText.StartsWith('[') && addressText.EndsWith(']'))
        {
            problem = new ValueProblem($"\"{text}\" puts the address in brackets", $"write networks without brackets, e.g. \"{addressText[1..^1]}{(slash < 0 ? "" : text[slash..])}\"");
            return false;
        }

        if (!IPAddressSyntax.TryParse(addressText, out IPAddress? address, out ValueProblem addressProblem))
        {
            problem = addressProblem with { Message = $"network \"{text}\": {addressProblem.Message}" };
            return false;
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0)
        {
            problem = new ValueProblem($"network \"{text}\" has a scope id", "leave out the %interface part");
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
                problem = new ValueProblem($"network \"{text}\" has an invalid prefix length \"{prefixText}\"", $"use a prefix length from 0 to {maxPrefix}");
                return false;
            }
        }

        IPAddress masked = Mask(address, prefix);
        if (!masked.Equals(address))
        {
            string corrected = string.Create(CultureInfo.InvariantCulture, $"{masked}/{prefix}");
            string host = string.Create(CultureInfo.InvariantCulture, $"{address}/{maxPrefix}");
            problem = new ValueProblem($"network \"{text}\" has bits set after the /{prefix.ToString(CultureInfo.InvariantCulture)} prefix", $"write \"{corrected}\" for the network or \"{host}\" for the single host");
            return false;
        }

        network = new IPNetwork(address, prefix);
        return true;
    }

    private static IPAddress Mask(IPAddress address, int prefix)
    {
        byte[] bytes = address.GetAddressBytes();
        for (int i = 0; i < bytes.Length; i++)
        {
            int bitsKept = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF00 >> bitsKept);
        }

        return new IPAddress(bytes);
    }
}
