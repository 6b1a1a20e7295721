using System.Net;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;

namespace Windsock.Policy;

/// <summary>
/// Everything a decision looks at, filled in by the caller. The engine does no I/O: names are
/// resolved by the caller, who passes the address it is about to use in <see cref="ResolvedAddress"/>.
/// </summary>
public sealed record AccessRequest
{
    private readonly bool? _clientOnLoopback;

    /// <summary>The authenticated user (RFC 1929 or GSSAPI, or a SOCKS4 USERID that ident confirmed); null when nobody proved a name.</summary>
    public string? User { get; init; }

    /// <summary>The groups <see cref="User"/> belongs to, from the user or group file.</summary>
    public IReadOnlyCollection<string> Groups { get; init; } = [];

    /// <summary>How the client authenticated. SOCKS4 requests are <see cref="AuthMethod.None"/>.</summary>
    public AuthMethod Method { get; init; } = AuthMethod.None;

    public SocksVersion Version { get; init; } = SocksVersion.Socks5;

    public PolicyCommand Command { get; init; } = PolicyCommand.Connect;

    public required IPAddress ClientAddress { get; init; }

    public ushort ClientPort { get; init; }

    /// <summary>
    /// The destination as the client asked for it: a name or an address, with the port. For a UDP
    /// datagram the datagram's remote party; for a BIND peer the peer that connected.
    /// </summary>
    public required SocksEndpoint Destination { get; init; }

    /// <summary>
    /// The address the server is about to connect or send to, when <see cref="Destination"/> is a
    /// name that has been resolved. Network conditions and the safe default check this address.
    /// </summary>
    public IPAddress? ResolvedAddress { get; init; }

    /// <summary>Whether the client connects from the proxy host itself. Defaults to "is <see cref="ClientAddress"/> a loopback address".</summary>
    public bool ClientOnLoopback
    {
        get => _clientOnLoopback ?? ProtectedDestinations.IsLoopback(ClientAddress);
        init => _clientOnLoopback = value;
    }

    /// <summary>
    /// True for the UDP ASSOCIATE request itself, whose DST is the client's own address (often
    /// 0.0.0.0:0), not a destination. Destinations are then decided datagram by datagram, so
    /// destination conditions (<c>to</c>, <c>ports</c>) cannot fail an allow rule, a deny rule
    /// that has them does not apply, and neither the safe default nor name resolution comes in.
    /// </summary>
    public bool AssociationSetup { get; init; }

    /// <summary>The addresses of the proxy host (its interfaces), protected by the safe default.</summary>
    public IReadOnlyCollection<IPAddress> ServerAddresses { get; init; } = [];

    /// <summary>The address that network conditions check: the resolved one, else the requested one, else null.</summary>
    public IPAddress? CheckedAddress =>
        AssociationSetup ? null
        : ResolvedAddress is { } resolved ? ProtectedDestinations.Normalize(resolved)
        : Destination.Address is { } requested ? ProtectedDestinations.Normalize(requested)
        : null;

    /// <summary>"4", "4a" or "5", as rules name versions.</summary>
    public string VersionName => Version == SocksVersion.Socks5 ? "5" : Destination.IsHostName ? "4a" : "4";
}
