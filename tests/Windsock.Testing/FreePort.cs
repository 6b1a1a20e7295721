using System.Net;
using System.Net.Sockets;

namespace Windsock.Testing;

/// <summary>The one way tests pick a port: bind port 0 on loopback and let the kernel choose.</summary>
public static class FreePort
{
    /// <summary>
    /// A loopback port that was free a moment ago and has no listener: connections to it are refused, and a
    /// program the test starts can listen on it.
    /// </summary>
    public static ushort Closed()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return (ushort)((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
