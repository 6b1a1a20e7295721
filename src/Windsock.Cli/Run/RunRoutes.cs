using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Windsock.Client;
using Windsock.Client.Routing;

namespace Windsock.Cli.Run;

/// <summary>
/// The routing core of <c>windsock run</c>: answers the preload's questions (one line each, see
/// <see cref="ControlServer"/>) with the decisions of the same <see cref="Router"/> that
/// <c>windsock connect</c> uses, plus what only a program-wide interceptor needs: mapped addresses
/// for names, loopback kept direct unless a rule names it, and the one-line denials on standard error.
/// Sans I/O except for the local DNS a direct route or a socks5:// (local resolution) hop asks for.
/// </summary>
internal sealed class RunRoutes(Router router, MappedAddresses mapped, TextWriter error, bool explain)
{
    private const int EACCES = 13;
    private const int EHOSTUNREACH = 113;

    /// <summary>One request line in, the reply text out (lines ending in \n).</summary>
    public string Answer(string request)
    {
        string[] fields = request.TrimEnd('\r', '\n').Split(' ');
        try
        {
            return fields switch
            {
                ["CONNECT", var pid, var address, var port] => Connect(pid, address, Port(port), "connect to"),
                ["BIND", var pid, var address, var port] => Connect(pid, address, Port(port), "listening for"),
                ["UDP", var pid, var address, var port] => Udp(pid, address, Port(port)),
                ["NAME", var pid, var name] => Name(pid, ControlText.Decode(name)),
                ["ADDR", _, var address] => Reverse(address),
                ["REPORT", _, var line] => Report(ControlText.Decode(line)),
                _ => "ERROR unknown request\n",
            };
        }
        catch (FormatException)
        {
            return "ERROR malformed request\n";
        }
    }

    private static int Port(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port <= IPEndPoint.MaxPort ? port : throw new FormatException();

    private string Report(string line)
    {
        error.WriteLine(line);
        return "OK\n";
    }

    private void Explain(string pid, string line)
    {
        if (explain)
        {
            error.WriteLine($"windsock run: [{pid}] {line}");
        }
    }

    private string Name(string pid, string name)
    {
        if (IsLocalhostName(name))
        {
            Explain(pid, $"lookup of {name}: loopback, answered by the local resolver");
            return "LOCAL\n";
        }

        if (!mapped.TryMap(name, out IPAddress ipv4, out IPAddress ipv6))
        {
            error.WriteLine($"windsock: lookup of {name} failed: the mapped ranges ({mapped.IPv4}, {mapped.IPv6}) are used up; give larger ones with --mapped-range");
            return "ERROR exhausted\n";
        }

        Explain(pid, $"lookup of {name}: mapped to {ipv4} and {ipv6} (the route decides at connect)");
        return $"MAPPED {ipv4} {ipv6}\n";
    }

    private string Reverse(string address) =>
        IPAddress.TryParse(address, out IPAddress? ip) && mapped.TryGetName(ip, out string? name) ? $"NAME {ControlText.Encode(name)}\n" : "NONE\n";

    /// <summary>A TCP connection, or (BIND) a listening socket waiting for a peer of <paramref name="address"/>: the same route.</summary>
    private string Connect(string pid, string address, int port, string verb)
    {
        if (!IPAddress.TryParse(address, out IPAddress? ip))
        {
            throw new FormatException();
        }

        bool isMapped = mapped.TryGetName(ip, out string? name);
        if (!isMapped && mapped.Contains(ip))
        {
            error.WriteLine($"windsock: {verb} {ClientRouting.Destination(address, port)} refused: {address} is in the mapped range but no name was looked up for it");
            return $"DENY {EHOSTUNREACH}\n";
        }

        string host = name ?? Normalize(ip).ToString();
        string display = ClientRouting.Destination(host, port);
        Route route = Decide(host, isMapped ? null : ip, port);
        Explain(pid, $"{(verb == "connect to" ? "connect" : verb)} {display}{(isMapped ? $" (mapped {address})" : "")}: {route}");
        switch (route.Action)
        {
            case RouteAction.Deny:
                error.WriteLine(DenialLine(verb, display, route));
                return $"DENY {EACCES}\n";
            case RouteAction.Direct when !isMapped:
                return "PASS\n";
            case RouteAction.Direct:
                return DirectToName(display, host, ip.AddressFamily);
            default:
                return Via(display, host, port, route);
        }
    }

    private string Udp(string pid, string address, int port)
    {
        if (!IPAddress.TryParse(address, out IPAddress? ip))
        {
            throw new FormatException();
        }

        bool isMapped = mapped.TryGetName(ip, out string? name);
        string host = name ?? Normalize(ip).ToString();
        string display = ClientRouting.Destination(host, port);
        if (!isMapped && mapped.Contains(ip))
        {
            error.WriteLine($"windsock: UDP to {display} refused: {address} is in the mapped range but no name was looked up for it");
            return $"DENY {EHOSTUNREACH}\n";
        }

        Route route = Decide(host, isMapped ? null : ip, port);
        Explain(pid, $"UDP {display}{(isMapped ? $" (mapped {address})" : "")}: {route}");
        switch (route.Action)
        {
            case RouteAction.Direct when !isMapped:
                return "PASS\n";
            case RouteAction.Direct:
                error.WriteLine($"windsock: UDP to {display} refused: the route is direct, and datagrams to a mapped name are only carried through a proxy");
                return $"DENY {EACCES}\n";
            case RouteAction.Deny:
                error.WriteLine(DenialLine("UDP to", display, route));
                return $"DENY {EACCES}\n";
            default:
                return UdpVia(display, host, port, route);
        }
    }

    /// <summary>UDP ASSOCIATE needs one SOCKS5 proxy (not a chain), as <see cref="Router.AssociateUdpAsync"/> does.</summary>
    private string UdpVia(string display, string host, int port, Route route)
    {
        foreach (ProxyChain chain in route.Proxies.Where(c => c.Count == 1 && c[0].Protocol == SocksProtocol.Socks5))
        {
            if (DescribeChain(chain, host, port, out string? lines) is null && lines is not null)
            {
                return $"VIA {ControlText.Encode(display)} 1\n{lines}";
            }
        }

        error.WriteLine($"windsock: UDP to {display} refused: {route} has no single SOCKS5 proxy (without GSSAPI) to carry UDP");
        return $"DENY {EACCES}\n";
    }

    /// <summary>
    /// Loopback stays direct unless a rule with <c>to</c> matches it: a catch-all rule (no <c>to</c>)
    /// and a fixed route (--proxy, ALL_PROXY) do not send a program's own local connections away.
    /// </summary>
    private Route Decide(string host, IPAddress? address, int port)
    {
        bool loopback = address is not null ? IPAddress.IsLoopback(Normalize(address)) : IsLocalhostName(host);
        if (loopback && router.Rules.FirstOrDefault(r => r.Matches(host, port)) is not { NamesDestinations: true })
        {
            return Route.Direct("loopback stays direct");
        }

        return router.GetRoute(host, port);
    }

    private static string DenialLine(string what, string display, Route route)
    {
        const string NoMatch = "no rule in ";
        return route.Origin.StartsWith(NoMatch, StringComparison.Ordinal)
            ? $"windsock: {what} {display} denied by {route.Origin[NoMatch.Length..].Split(" matched", 2)[0]} (no rule matched, and no match denies)"
            : $"windsock: {what} {display} denied by {route.Origin} (the routing file says deny)";
    }

    /// <summary>A mapped name on a direct route: looked up here, where the rule says it may be.</summary>
    private string DirectToName(string display, string host, AddressFamily family)
    {
        try
        {
            IPAddress[] addresses = Dns.GetHostAddresses(host);
            IPAddress? pick = addresses.FirstOrDefault(a => a.AddressFamily == family) ?? addresses.FirstOrDefault();
            if (pick is not null)
            {
                return $"DIRECT {pick}\n";
            }
        }
        catch (SocketException)
        {
            // Reported below as for an empty answer.
        }

        error.WriteLine($"windsock: connect to {display} failed: the route is direct and {host} does not resolve here");
        return $"DENY {EHOSTUNREACH}\n";
    }

    private string Via(string display, string host, int port, Route route)
    {
        var tries = new StringBuilder();
        int count = 0;
        var problems = new List<string>();
        foreach (ProxyChain chain in route.Proxies)
        {
            string? problem = DescribeChain(chain, host, port, out string? lines);
            if (lines is null)
            {
                problems.Add(problem ?? chain.ToString());
                continue;
            }

            tries.Append(lines);
            count++;
        }

        if (count == 0)
        {
            error.WriteLine($"windsock: connect to {display} refused: {string.Join("; ", problems)}");
            return $"DENY {EACCES}\n";
        }

        return $"VIA {ControlText.Encode(display)} {count.ToString(CultureInfo.InvariantCulture)}\n{tries}";
    }

    /// <summary>"TRY first-hop-address port hops" and one "HOP" line per hop, or why the chain cannot be used here.</summary>
    private static string? DescribeChain(ProxyChain chain, string host, int port, out string? lines)
    {
        lines = null;
        ProxyHop[] hops = [.. chain];
        if (hops.FirstOrDefault(h => h.Gssapi is not null) is { } gssapi)
        {
            return $"{gssapi} uses GSSAPI, which the preload does not speak yet (windsock connect and forward do)";
        }

        IPAddress? first = hops[0].Host is var proxyHost && IPAddress.TryParse(proxyHost, out IPAddress? literal) ? literal : LookUp(hops[0].Host);
        if (first is null)
        {
            return $"cannot reach proxy {hops[0]}: its name does not resolve";
        }

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"TRY {Normalize(first)} {hops[0].Port} {hops.Length}\n");
        for (int i = 0; i < hops.Length; i++)
        {
            ProxyHop hop = hops[i];
            (string targetHost, int targetPort) = i + 1 < hops.Length ? (hops[i + 1].Host, hops[i + 1].Port) : (host, port);
            string? target = TargetFor(hop, targetHost);
            if (target is null)
            {
                return $"{hop} cannot carry {targetHost} (SOCKS4 takes IPv4 only, and the name did not resolve to one here)";
            }

            string protocol = hop.Protocol switch
            {
                SocksProtocol.Socks4 => "4",
                SocksProtocol.Socks4a => "4a",
                _ => "5",
            };
            string user = hop.Protocol == SocksProtocol.Socks5 ? hop.Credentials?.UserName ?? "" : hop.UserId ?? hop.Credentials?.UserName ?? "";
            string password = hop.Protocol == SocksProtocol.Socks5 ? hop.Credentials?.Password ?? "" : "";
            string label = hops.Length > 1 ? $"{hop} (hop {i + 1} of {hops.Length})" : hop.ToString();
            text.Append(CultureInfo.InvariantCulture, $"HOP {protocol} {ControlText.Encode(user)} {ControlText.Encode(password)} {ControlText.Encode(target)} {targetPort} {ControlText.Encode(label)}\n");
        }

        lines = text.ToString();
        return null;
    }

    /// <summary>What to ask <paramref name="hop"/> for: the name itself when the hop resolves names, else an address looked up here.</summary>
    private static string? TargetFor(ProxyHop hop, string targetHost)
    {
        if (IPAddress.TryParse(targetHost.Trim('[', ']'), out IPAddress? literal))
        {
            literal = Normalize(literal);
            return hop.Protocol == SocksProtocol.Socks5 || literal.AddressFamily == AddressFamily.InterNetwork ? literal.ToString() : null;
        }

        bool proxyResolves = hop.Protocol != SocksProtocol.Socks4 && hop.Resolution == NameResolution.Proxy;
        if (proxyResolves)
        {
            return targetHost;
        }

        IPAddress? resolved = LookUp(targetHost);
        return resolved is null || (hop.Protocol != SocksProtocol.Socks5 && resolved.AddressFamily != AddressFamily.InterNetwork) ? null : resolved.ToString();
    }

    private static IPAddress? LookUp(string host)
    {
        try
        {
            IPAddress[] addresses = Dns.GetHostAddresses(host);
            return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault();
        }
        catch (SocketException)
        {
            return null;
        }
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static bool IsLocalhostName(string name)
    {
        string bare = name.TrimEnd('.');
        return bare.Equals("localhost", StringComparison.OrdinalIgnoreCase) || bare.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase);
    }
}
