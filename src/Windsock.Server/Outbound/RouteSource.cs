using System.Net;
using System.Net.Sockets;

namespace Windsock.Server.Outbound;

/// <summary>
/// The local address the host's routing table picks to reach an address: a UDP socket is "connected" to it,
/// which sends nothing and only chooses the route and the source. It is the address a peer there reaches
/// this host on, so BIND listens on it when the peer's family differs from the client's.
/// </summary>
internal static class RouteSource
{
    // Any port: connect(2) on a datagram socket only records the destination.
    private const int AnyPort = 9;

    /// <summary>The source address towards <paramref name="destination"/>, or null when the host has no route to it.</summary>
    public static IPAddress? Towards(IPAddress destination)
    {
        try
        {
            using var probe = new Socket(destination.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            probe.Connect(new IPEndPoint(destination, AnyPort));
            return ((IPEndPoint)probe.LocalEndPoint!).Address;
        }
        catch (SocketException)
        {
            return null;
        }
    }
}
