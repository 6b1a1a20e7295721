using System.Net.Sockets;
using System.Text;

namespace Windsock.Cli;

/// <summary>
/// Tells systemd (Type=notify units) when the server is ready and when it stops, through the
/// datagram socket named in NOTIFY_SOCKET. Does nothing outside systemd.
/// </summary>
internal static class SystemdNotifier
{
    public static void Notify(string state)
    {
        var path = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
        if (string.IsNullOrEmpty(path))
        {
            return;
        }

        // A leading '@' names an abstract socket.
        if (path[0] == '@')
        {
            path = "\0" + path[1..];
        }

        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(path));
            socket.Send(Encoding.UTF8.GetBytes(state));
        }
        catch (SocketException)
        {
            // Not fatal: the unit just won't see the state change.
        }
    }
}
