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
    public static Socket Open(PortRange? ports)
    {
        if (ports is not { } range)
        {
            return Bind(0) ?? throw new SocketException((int)SocketError.AddressAlreadyInUse);
        }

        // Start at a random port of the range so that consecutive associations do not all probe the
        // same busy ports first; try each port at most once.
        int offset = Random.Shared.Next(range.Count);
        for (int i = 0; i < range.Count; i++)
        {
            int port = range.First + ((offset + i) % range.Count);
            if (Bind(port) is { } socket)
            {
                return socket;
            }
        }

        throw new UdpPortsExhaustedException(range);
    }

    /// <summary>True when the socket can send to IPv6 destinations.</summary>
    public static bool CanSendIPv6(Socket socket) => socket.AddressFamily == AddressFamily.InterNetworkV6;

    /// <summary>The socket bound to <paramref name="port"/>, or null when that port is in use.</summary>
    private static Socket? Bind(int port)
    {
        bool ipv6 = Socket.OSSupportsIPv6;
        var socket = new Socket(ipv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (ipv6)
            {
                socket.DualMode = true;
            }

            socket.Bind(new IPEndPoint(ipv6 ? IPAddress.IPv6Any : IPAddress.Any, port));
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
