using System.Globalization;
using System.Net;

namespace Windsock.Server.Configuration;

/// <summary>
/// What <c>server.proxy_protocol_from</c> makes of a configuration, in the words <c>windsock check</c> prints:
/// who must send a PROXY header, what it changes, and the two mistakes a valid file can still hold (direct
/// clients inside a balancer network, UDP replies naming an address the clients cannot reach).
/// </summary>
public static class BalancerExplanation
{
    /// <summary>Lines for standard output, then warnings (prefixed "warning: ") for standard error; none when the feature is off.</summary>
    public static (IReadOnlyList<string> Lines, IReadOnlyList<string> Warnings) Explain(ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ProxyProtocolFrom.Count == 0)
        {
            return ([], []);
        }

        string balancers = string.Join(", ", options.ProxyProtocolFrom);
        var lines = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture,
                $"proxy_protocol_from: connections from {balancers} must start with a PROXY protocol header (v1 or v2) within {options.NegotiationTimeout.TotalSeconds:0.#}s, or are refused; the client a header names is the one allowed_clients, rules, limits, ident and the request log see; a header from any other address is refused"),
        };

        var warnings = new List<string>();
        foreach (var balancer in options.ProxyProtocolFrom)
        {
            foreach (var clients in options.AllowedClients)
            {
                if (Overlap(balancer, clients))
                {
                    warnings.Add($"warning: {balancer} (server.proxy_protocol_from) overlaps {clients} (server.allowed_clients): SOCKS clients there that connect "
                        + "directly, not through the balancer, send no PROXY header and are refused");
                }
            }
        }

        if (options.Udp.AdvertisedAddress is null)
        {
            warnings.Add("warning: behind a balancer, UDP ASSOCIATE replies name the address the balancer reached this node on (the balancer relays no UDP); "
                + "if clients use UDP, set udp.advertised_address to this node's address as the clients reach it (docs/scale-out.md)");
        }

        return (lines, warnings);
    }

    private static bool Overlap(IPNetwork a, IPNetwork b) =>
        a.BaseAddress.AddressFamily == b.BaseAddress.AddressFamily && (a.Contains(b.BaseAddress) || b.Contains(a.BaseAddress));
}
