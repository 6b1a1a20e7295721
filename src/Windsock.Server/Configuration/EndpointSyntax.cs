using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Windsock.Server.Configuration;

/// <summary>
/// Listen addresses: "ADDR:PORT" with IPv6 in brackets ("[::1]:1080"). Host names are refused:
/// a listener bound to whatever "localhost" resolves to today is not something to audit.
/// </summary>
public static class EndpointSyntax
{
    public static bool TryParse(string text, [NotNullWhen(true)] out IPEndPoint? endpoint, out ValueProblem problem)
    {
        endpoint = null;
        problem = default;

        string addressText;
        string portText;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                problem = new ValueProblem($"\"{text}\" has no closing bracket", "write IPv6 listen addresses as [ADDRESS]:PORT, e.g. \"[::1]:1080\"");
                return false;
            }

            addressText = text[1..close];
            if (close + 1 >= text.Length || text[close + 1] != ':')
            {
                problem = new ValueProblem($"\"{text}\" has no port", $"add a port after the bracket, e.g. \"[{addressText}]:{ServerOptions.DefaultPort}\"");
                return false;
            }

            portText = text[(close + 2)..];
        }
        else
        {
            int colon = text.LastIndexOf(':');
            if (colon < 0)
            {
                problem = new ValueProblem($"\"{text}\" has no port", $"write ADDRESS:PORT, e.g. \"{text}:{ServerOptions.DefaultPort}\"");
                return false;
            }

            if (text.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                problem = new ValueProblem($"\"{text}\" looks like an IPv6 address without brackets", $"put IPv6 addresses in brackets, e.g. \"[::1]:{ServerOptions.DefaultPort}\"");
                return false;
            }

            addressText = text[..colon];
            portText = text[(colon + 1)..];
        }

        if (!AddressValues.TryParseAddress(addressText, out IPAddress? address, out ValueProblem addressProblem))
        {
            problem = addressProblem with { Message = $"listen address \"{text}\": {addressProblem.Message}" };
            return false;
        }

        if (!text.StartsWith('[') && address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            problem = new ValueProblem($"\"{text}\" needs brackets around the IPv6 address", $"write \"[{addressText}]:{portText}\"");
            return false;
        }

        if (text.StartsWith('[') && address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            problem = new ValueProblem($"\"{text}\" puts an IPv4 address in brackets", $"write \"{addressText}:{portText}\"; brackets are only for IPv6");
            return false;
        }

        if (portText.Length is 0 or > 5
            || !int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port)
            || port > IPEndPoint.MaxPort)
        {
            problem = new ValueProblem($"\"{text}\" has an invalid port \"{portText}\"", $"use a port from 0 to {IPEndPoint.MaxPort} (0 lets the system choose)");
            return false;
        }

        endpoint = new IPEndPoint(address, port);
        return true;
    }
}
