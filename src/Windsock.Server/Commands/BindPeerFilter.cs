using System.Net;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Server.Configuration;
using Windsock.Server.Outbound;

namespace Windsock.Server.Commands;

/// <summary>
/// Which peers a BIND listener takes. In strict mode the peer's IP must be the request's DST.ADDR
/// (a name is resolved first, and any of its addresses will do); 0.0.0.0 and :: mean "any", as in
/// Dante and the SOCKS4 paper. DST.PORT is not checked: the peer connects from an ephemeral port.
/// </summary>
internal sealed class BindPeerFilter
{
    private readonly IPAddress[]? _allowed;

    private BindPeerFilter(IPAddress[]? allowed)
    {
        _allowed = allowed;
    }

    public static BindPeerFilter Any { get; } = new(null);

    /// <summary>What the log says the filter expects.</summary>
    public string Describe() => _allowed is null ? "any address" : string.Join(" or ", _allowed.Select(a => a.ToString()));

    public bool Accepts(IPAddress peer)
    {
        if (_allowed is null)
        {
            return true;
        }

        var normalized = Normalize(peer);
        return _allowed.Any(a => a.Equals(normalized));
    }

    /// <summary>Builds the filter for a request; a name that does not resolve is a failure with the reply code to send.</summary>
    public static async Task<(BindPeerFilter? Filter, Socks5ReplyCode Code, string? Failure)> CreateAsync(
        PeerCheck check, SocksEndpoint destination, TimeSpan resolveTimeout, TimeProvider time, CancellationToken cancellationToken)
    {
        if (check == PeerCheck.Loose)
        {
            return (Any, Socks5ReplyCode.Succeeded, null);
        }

        if (destination.Address is { } address)
        {
            var normalized = Normalize(address);
            bool any = normalized.Equals(IPAddress.Any) || normalized.Equals(IPAddress.IPv6Any);
            return (any ? Any : new BindPeerFilter([normalized]), Socks5ReplyCode.Succeeded, null);
        }

        using var deadline = new CancellationTokenSource(resolveTimeout, time);
        var lookup = await NameLookup.ResolveAsync(destination.Host!, resolveTimeout, deadline.Token, cancellationToken).ConfigureAwait(false);
        return lookup.Succeeded
            ? (new BindPeerFilter(lookup.Addresses.Distinct().ToArray()), Socks5ReplyCode.Succeeded, null)
            : (null, lookup.Code, $"BIND peer: {lookup.Failure}");
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
