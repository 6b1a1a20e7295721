using System.Net;
using System.Net.Sockets;

namespace Windsock.Client.Tests.Support;

internal static class FreePort
{
    /// <summary>A loopback port that was free a moment ago and has no listener: connections to it are refused.</summary>
    public static ushort Closed()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return (ushort)((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
