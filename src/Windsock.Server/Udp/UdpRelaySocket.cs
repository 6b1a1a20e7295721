using System.Net;
using System.Net.Sockets;
using Windsock.Server.Configuration;

namespace Windsock.Server.Udp;

/// <summary>
/// Opens an association's relay socket: one socket for both address families ([::] with DualMode,
/// or 0.0.0.0 where the system has no IPv6), so one port serves the client and every remote host
/// whatever their families. Bound to all addresses because replies from remote hosts may arrive on
/// another interface than the client's; the association itself decides which senders it accepts.
/// </summary>
internal static class UdpRelaySocket
{
    public static Socket Open(PortRange? ports) => Open(null, ports);

    /// <summary>
    /// A socket bound to exactly <paramref name="address"/> (null: every address, both families), on a port of
    /// <paramref name="ports"/> or any: the association's client side, so that replies leave from the address
    /// the client was told, whatever the routing table would pick.
    /// </summary>
    public static Socket Open(IPAddress? address, PortRange? ports)
    {
        if (ports is not { } range)
        {
            return Bind(address, 0) ?? throw new SocketException((int)SocketError.AddressAlreadyInUse);
        }

        // Start at a random port of the range so that consecutive associations do not all probe the
        // same busy ports first; try each port at most once.
        int offset = Random.Shared.Next(range.Count);
        for (int i = 0; i < range.Count; i++)
        {
            int port = range.First + ((offset + i) % range.Count);
            if (Bind(address, port) is { } socket)
            {
                return socket;
            }
        }

        throw new UdpPortsExhaustedException(range);
    }

    /// <summary>True when the socket can send to IPv6 destinations.</summary>
    public static bool CanSendIPv6(Socket socket) => socket.AddressFamily == AddressFamily.InterNetworkV6;

    /// <summary>The socket bound to <paramref name="port"/>, or null when that port is in use.</summary>
    private static Socket? Bind(IPAddress? address, int port)
    {
        bool ipv6 = address is null ? Socket.OSSupportsIPv6 : address.AddressFamily == AddressFamily.InterNetworkV6;
        var socket = new Socket(ipv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (ipv6)
            {
                // The wildcard serves both families; an exact IPv6 address only itself.
                socket.DualMode = address is null;
            }

            socket.Bind(new IPEndPoint(address ?? (ipv6 ? IPAddress.IPv6Any : IPAddress.Any), port));
            return socket;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied && port != 0)
        {
            socket.Dispose();
            return null;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
