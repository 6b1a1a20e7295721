using System.Net;
using System.Net.Sockets;
using Windsock.Policy;
using Windsock.Protocol;

namespace Windsock.Server.Configuration;

/// <summary>
/// <c>windsock check</c>'s account of how an allowed CONNECT goes out: through the upstream route the deciding rule's
/// via names (and that route's chains and failover, explained), or directly from the rule's source address, [outside],
/// or the routing table's choice. Built from the same options and rule the server uses, so the two cannot disagree.
/// </summary>
public static class OutboundExplanation
{
    /// <param name="options">The configuration.</param>
    /// <param name="rule">The rule that allowed the request.</param>
    /// <param name="command">The request's command; only CONNECT goes through routes and leaves from a rule's source.</param>
    /// <param name="destination">The destination as the client gives it.</param>
    /// <param name="address">The address it was decided on, when the decision waited for one.</param>
    public static IReadOnlyList<string> Describe(ServerOptions options, AccessRule? rule, PolicyCommand command, SocksEndpoint destination, IPAddress? address)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (command != PolicyCommand.Connect)
        {
            return [];
        }

        if (rule?.Via is { } via && options.Routes.FirstOrDefault(r => r.Name == via) is { } route)
        {
            string sent = address is not null
                ? $"the address {address} it was decided on"
                : destination.IsHostName ? $"the name {destination.Host} (the last hop resolves it, or this host for a socks5:// or socks4:// last hop)" : $"{destination}";
            return
            [
                $"goes out through route \"{via}\" (via of the deciding rule), not directly; the upstream is asked for {sent}:",
                .. route.Explain().Select(line => "  " + line),
            ];
        }

        AddressFamily family = (address ?? destination.Address)?.AddressFamily ?? AddressFamily.Unspecified;
        var lines = new List<string>();
        foreach (AddressFamily each in family == AddressFamily.Unspecified ? [AddressFamily.InterNetwork, AddressFamily.InterNetworkV6] : new[] { family })
        {
            string name = each == AddressFamily.InterNetwork ? "IPv4" : "IPv6";
            string from = rule?.Sources.FirstOrDefault(s => s.AddressFamily == each) is { } source
                ? $"{source} (source of the deciding rule)"
                : options.Outside.For(each) is { } outside ? $"{outside} ([outside] {name.ToLowerInvariant()})" : "the address the routing table picks";
            lines.Add($"connects directly; an {name} connection leaves from {from}");
        }

        return lines;
    }
}
