using System.Net;
using System.Net.Sockets;

namespace Windsock.Bench;

/// <summary>
/// Asks the kernel for a free TCP port on 127.0.0.1 by binding port 0 and
/// closing again, for peers that must be told a port up front. Racy by
/// nature; callers check that their server really came up.
/// </summary>
public static class FreePort
{
    public static int Find()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
