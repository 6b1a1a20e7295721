using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Windsock.Server.Configuration;

/// <summary>
/// Listen addresses given by interface name, like Dante's <c>internal: eth0</c>: <c>"eth0:1080"</c> listens on
/// every address the interface has when the configuration is read (IPv4 and IPv6; IPv6 link-local addresses
/// are left out, as they need a scope a SOCKS reply cannot carry). A later change of the interface's
/// addresses needs a restart, like any change of <c>listen</c>.
/// </summary>
public static class InterfaceListen
{
    // Linux interface names: at most 15 bytes (IFNAMSIZ - 1), starting with a letter here so that no
    // address (IPv4 starts with a digit, IPv6 needs brackets) reads as one.
    private const int MaxNameLength = 15;

    /// <summary>
    /// The endpoints of <paramref name="text"/> when it is NAME:PORT with NAME a network interface; false when
    /// it is not of that form at all (an address: parse it as one), or with <paramref name="problem"/> set when
    /// it names no interface or one without an address.
    /// </summary>
    public static bool TryExpand(string text, out List<IPEndPoint>? endpoints, out ValueProblem? problem)
    {
        endpoints = null;
        problem = null;
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon != text.LastIndexOf(':') || !LooksLikeName(text[..colon]))
        {
            return false;
        }

        string name = text[..colon];
        string portText = text[(colon + 1)..];
        if (portText.Length is 0 or > 5 || !int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > IPEndPoint.MaxPort)
        {
            problem = new ValueProblem($"\"{text}\" has an invalid port \"{portText}\"", $"use a port from 0 to {IPEndPoint.MaxPort} (0 lets the system choose)");
            return true;
        }

        NetworkInterface[] interfaces;
        try
        {
            interfaces = NetworkInterface.GetAllNetworkInterfaces();
        }
        catch (NetworkInformationException e)
        {
            problem = new ValueProblem($"listen address \"{text}\": the network interfaces cannot be read ({e.Message})", "write the interface's address instead, e.g. \"192.0.2.1:1080\"");
            return true;
        }

        var found = interfaces.FirstOrDefault(i => string.Equals(i.Name, name, StringComparison.Ordinal));
        if (found is null)
        {
            string known = string.Join(", ", interfaces.Select(i => i.Name).Order(StringComparer.Ordinal));
            problem = new ValueProblem($"listen address \"{text}\": \"{name}\" is not an IP address, nor a network interface on this host (host names are not accepted)",
                $"write an address such as \"127.0.0.1:{port}\", or an interface: {known}");
            return true;
        }

        endpoints = [.. found.GetIPProperties().UnicastAddresses
            .Select(a => a.Address)
            .Where(a => a.AddressFamily == AddressFamily.InterNetwork || (a.AddressFamily == AddressFamily.InterNetworkV6 && !a.IsIPv6LinkLocal))
            .Select(a => new IPEndPoint(a.AddressFamily == AddressFamily.InterNetworkV6 ? new IPAddress(a.GetAddressBytes()) : a, port))
            .Distinct()];
        if (endpoints.Count == 0)
        {
            problem = new ValueProblem($"listen address \"{text}\": interface \"{name}\" has no address to listen on", "give the interface an address first, or write an address");
            endpoints = null;
        }

        return true;
    }

    private static bool LooksLikeName(string name) =>
        name.Length <= MaxNameLength && char.IsAsciiLetter(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@');
}
