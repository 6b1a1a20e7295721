using System.Net;
using Windsock.Protocol;
using Windsock.Server.Configuration;

namespace Windsock.Server.Commands;

/// <summary>
/// Which peers a BIND listener takes. In strict mode the peer's IP must be the request's DST.ADDR
/// (a name is resolved first, and any of its addresses the access rules allow will do); 0.0.0.0 and :: mean "any", as in
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

    /// <summary>
    /// The filter for a request. A name's addresses (<paramref name="resolved"/>: those the access rules allowed)
    /// are resolved by the caller, which must do so before anything is opened; loose mode needs none.
    /// </summary>
    public static BindPeerFilter Create(PeerCheck check, SocksEndpoint destination, IReadOnlyList<IPAddress>? resolved)
    {
        if (check == PeerCheck.Loose)
        {
            return Any;
        }

        if (destination.Address is { } address)
        {
            var normalized = Normalize(address);
            bool any = normalized.Equals(IPAddress.Any) || normalized.Equals(IPAddress.IPv6Any);
            return any ? Any : new BindPeerFilter([normalized]);
        }

        ArgumentNullException.ThrowIfNull(resolved);
        return new BindPeerFilter([.. resolved.Select(Normalize).Distinct()]);
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
