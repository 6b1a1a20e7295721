using System.Globalization;
using System.Net;
using System.Text;
using Windsock.Policy;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;

namespace Windsock.Cli;

/// <summary>
/// The request options of <c>windsock check</c> (<c>--user</c>, <c>--from</c>, <c>--to</c>, ...) as the
/// administrator typed them, and how they become an <see cref="AccessRequest"/>: the request the server
/// would describe for a client sending it. Parsing only: no configuration, no I/O.
/// </summary>
internal sealed record CheckRequest(string? User, string? From, string? To, string? Command, string? Version, string? Method, bool Resolve, string[] Addresses)
{
    /// <summary>Any request option given: check decides a request instead of only validating the configuration.</summary>
    public bool Any => User is not null || From is not null || To is not null || Command is not null || Version is not null || Method is not null || Resolve || Addresses.Length > 0;

    /// <summary>The SOCKS dialect asked for (4a counts as SOCKS4, as on the wire).</summary>
    public SocksVersion SocksVersion => Version is "4" or "4a" ? SocksVersion.Socks4 : SocksVersion.Socks5;
}

/// <summary>Turns <see cref="CheckRequest"/> options into the request to decide; every problem is a usage error with its fix.</summary>
internal static class CheckRequestParser
{
    public static bool TryParse(CheckRequest options, out AccessRequest? request, out string? problem)
    {
        request = null;
        if (options.From is null || options.To is null)
        {
            problem = "a request to check needs --from ADDRESS[:PORT] and --to HOST:PORT";
            return false;
        }

        if (!TryParseClient(options.From, out IPAddress? client, out ushort clientPort, out problem)
            || !TryParseDestination(options.To, out SocksEndpoint destination, out problem))
        {
            return false;
        }

        PolicyCommand command = PolicyCommand.Connect;
        if (options.Command is not null && !PolicyCommands.TryParse(options.Command, out command, out problem))
        {
            problem = $"--command: {problem}";
            return false;
        }

        string versionText = options.Version ?? "5";
        if (!VersionSet.TryParseName(versionText, out PolicyVersion version, out problem))
        {
            problem = $"--socks-version: {problem}";
            return false;
        }

        if (version == PolicyVersion.Socks4a && !destination.IsHostName)
        {
            problem = "--socks-version 4a: SOCKS4a carries a host name, but --to is an address; write --socks-version 4, or a name";
            return false;
        }

        AuthMethod method = options.User is null ? AuthMethod.None : AuthMethod.UsernamePassword;
        if (version != PolicyVersion.Socks5)
        {
            method = AuthMethod.None;
            if (options.Method is not null and not "none")
            {
                problem = "--method: SOCKS4 has no authentication methods; leave out --method (a SOCKS4 --user stands for a USERID that ident confirmed)";
                return false;
            }
        }
        else if (options.Method is not null && !AuthMethodSet.TryParseName(options.Method, out method, out problem))
        {
            problem = $"--method: {problem}";
            return false;
        }

        if (version == PolicyVersion.Socks5 && method == AuthMethod.None && options.User is not null)
        {
            problem = "--user with --method none: a SOCKS5 request without authentication has no user; leave out one of them";
            return false;
        }

        if (options.User is not null && !UserSet.TryParseName(options.User, out problem))
        {
            problem = $"--user: {problem}";
            return false;
        }

        if (options.Addresses.Length > 0 && destination.IsHostName && NumericName(destination.Host!) is { } numeric)
        {
            problem = $"--address: the server's resolver reads the name {destination.Host} as {numeric} without asking DNS; leave out --address";
            return false;
        }

        if (options.Addresses.Length > 0 && (options.Resolve || !destination.IsHostName))
        {
            problem = options.Resolve ? "--address and --resolve exclude each other; give the addresses or let the system resolve" : "--address is for a destination name; --to is an address already";
            return false;
        }

        foreach (string text in options.Addresses)
        {
            if (!NetworkSyntax.TryParseAddress(text, out _, out problem))
            {
                problem = $"--address: {problem}";
                return false;
            }
        }

        request = new AccessRequest
        {
            User = options.User,
            Method = method,
            Version = version == PolicyVersion.Socks5 ? SocksVersion.Socks5 : SocksVersion.Socks4,
            Command = command,
            ClientAddress = client!,
            ClientPort = clientPort,
            Destination = destination,
        };
        problem = null;
        return true;
    }

    /// <summary>"192.0.2.10", "192.0.2.10:40000", "2001:db8::1", "[2001:db8::1]:40000".</summary>
    private static bool TryParseClient(string text, out IPAddress? address, out ushort port, out string? problem)
    {
        port = 0;
        string addressText = text;
        string? portText = null;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || (close + 1 < text.Length && text[close + 1] != ':'))
            {
                address = null;
                problem = $"--from \"{text}\": write [IPV6]:PORT, e.g. [2001:db8::1]:40000";
                return false;
            }

            addressText = text[1..close];
            portText = close + 1 < text.Length ? text[(close + 2)..] : null;
        }
        else if (text.Count(c => c == ':') == 1)
        {
            int colon = text.IndexOf(':', StringComparison.Ordinal);
            addressText = text[..colon];
            portText = text[(colon + 1)..];
        }

        if (!NetworkSyntax.TryParseAddress(addressText, out address, out problem))
        {
            problem = $"--from: {problem}";
            return false;
        }

        if (portText is not null && !ushort.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port))
        {
            problem = $"--from: \"{portText}\" is not a port number from 0 to 65535";
            return false;
        }

        return true;
    }

    /// <summary>
    /// The address a name made of a number in one of the old inet_aton forms (127.1, 2130706433,
    /// 0x7f.1, 0) stands for. Such a name is not an address on the wire: a client sends it as a
    /// name, rules see it as a name, and the server's resolver reads it as this address.
    /// </summary>
    public static IPAddress? NumericName(string host) =>
        !host.Contains(':', StringComparison.Ordinal) && IPAddress.TryParse(host, out IPAddress? address) ? address : null;

    /// <summary>
    /// "www.example.org:443", "192.0.2.7:https", "[2001:db8::7]:443". A plain dotted quad or an IPv6
    /// address is an address; anything else, including 127.1, 2130706433 and 0, is a name, as the
    /// server receives it from a client (SOCKS4a, SOCKS5 DOMAINNAME).
    /// </summary>
    private static bool TryParseDestination(string text, out SocksEndpoint destination, out string? problem)
    {
        destination = default;
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            problem = $"--to \"{text}\": write HOST:PORT, e.g. www.example.org:443 or [2001:db8::1]:443";
            return false;
        }

        string host = text[..colon];
        string portText = text[(colon + 1)..];
        if (!PortSet.TryParseItem(portText, out (ushort Low, ushort High) range, out problem) || range.Low != range.High)
        {
            problem = $"--to: \"{portText}\" is not a port number or service name";
            return false;
        }

        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
            if (!host.Contains(':', StringComparison.Ordinal))
            {
                problem = $"--to \"{text}\": only IPv6 addresses go in brackets";
                return false;
            }
        }
        else if (host.Contains(':', StringComparison.Ordinal))
        {
            problem = $"--to \"{text}\": put an IPv6 address in brackets, e.g. [{host}]:{portText}";
            return false;
        }

        if (IPAddress.TryParse(host, out _))
        {
            if (NetworkSyntax.TryParseAddress(host, out IPAddress? address, out problem))
            {
                destination = SocksEndpoint.FromAddress(address, range.Low);
                return true;
            }

            if (host.Contains(':', StringComparison.Ordinal))
            {
                problem = $"--to: {problem}";
                return false;
            }

            // 127.1, 2130706433, 0: a name, as a client sends it.
        }

        try
        {
            destination = SocksEndpoint.FromHost(host, range.Low);
        }
        catch (ArgumentException e)
        {
            problem = $"--to: {e.Message}";
            return false;
        }

        problem = null;
        return true;
    }

    public static string Describe(AccessRequest request)
    {
        var text = new StringBuilder();
        text.Append(request.User is null ? "no authenticated user" : $"user {request.User}");
        if (request.User is not null)
        {
            text.Append(request.Groups.Count == 0 ? " (no groups)" : $" (groups {string.Join(", ", request.Groups)})");
        }

        string method = request.Version == SocksVersion.Socks5 ? $", method {AuthMethodSet.Name(request.Method)}" : string.Empty;
        text.Append(CultureInfo.InvariantCulture, $", SOCKS{request.VersionName}{method}, {request.Command.Name()} from {request.ClientAddress}");
        if (request.ClientPort != 0)
        {
            text.Append(CultureInfo.InvariantCulture, $" port {request.ClientPort}");
        }

        text.Append(CultureInfo.InvariantCulture, $" to {request.Destination}");
        return text.ToString();
    }

}
