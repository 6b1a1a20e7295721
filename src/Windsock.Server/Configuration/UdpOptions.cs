using System.Net;

namespace Windsock.Server.Configuration;

/// <summary>The <c>[udp]</c> section: how UDP ASSOCIATE relays are bound, advertised and expired.</summary>
public sealed record UdpOptions
{
    /// <summary>
    /// The address put in the reply's BND.ADDR instead of the one the client reached the server on:
    /// for a server behind NAT, whose clients must send datagrams to the public address.
    /// </summary>
    public IPAddress? AdvertisedAddress { get; init; }

    /// <summary>An association with no datagram in either direction for this long ends.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Ports the relay sockets are bound to (so a firewall can open just them); null lets the system pick.</summary>
    public PortRange? PortRange { get; init; }
}
