using System.Net.Sockets;

namespace Windsock.Server;

/// <summary>
/// TCP_DEFER_ACCEPT on a SOCKS listener (Linux): the kernel hands over a connection only once its first bytes have
/// come, so accept(2) and the greeting arrive as one event instead of two. A SOCKS client always speaks first (the
/// greeting, a SOCKS4 request, or a balancer's PROXY header), so nothing waits for the server; what it saves is a
/// wake of a loop thread, an epoll_ctl and a recv that finds nothing, on every connection (docs/benchmarks.md,
/// "Connections, round four"). A client that connects and says nothing is handed over after about a second
/// anyway (the kernel's first SYN-ACK retransmit), and the negotiation timeout then runs as for any other; until
/// then it holds a request socket in the kernel instead of a descriptor and a session here.
/// <para>
/// Only the SOCKS listeners: a BIND listener's peer (an FTP server's data connection) may well wait to be spoken to.
/// Where the option is missing (not Linux) or refused, connections are accepted at once, as before.
/// </para>
/// </summary>
internal static class DeferredAccept
{
    /// <summary>Seconds the kernel may hold a silent connection: the smallest it takes, one SYN-ACK retransmit.</summary>
    public const int Seconds = 1;

    private const int IpProtoTcp = 6;
    private const int TcpDeferAccept = 9;

    /// <summary>Asks for deferred accept on <paramref name="listener"/>; false where the system has no such option or refused it.</summary>
    public static bool TryEnable(Socket listener)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            listener.SetRawSocketOption(IpProtoTcp, TcpDeferAccept, BitConverter.GetBytes(Seconds));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The listener's TCP_DEFER_ACCEPT in seconds as the kernel reports it (0: off); what tests read.</summary>
    internal static int Read(Socket listener)
    {
        Span<byte> value = stackalloc byte[sizeof(int)];
        int length = listener.GetRawSocketOption(IpProtoTcp, TcpDeferAccept, value);
        return length == sizeof(int) ? BitConverter.ToInt32(value) : 0;
    }
}
