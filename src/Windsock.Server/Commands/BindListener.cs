using System.Net;
using System.Net.Sockets;
using Windsock.Protocol;
using Windsock.Server.Configuration;
using Windsock.Server.Outbound;

namespace Windsock.Server.Commands;

/// <summary>
/// Chooses where a BIND listens and what it announces, and opens the listening socket, within the
/// configured port range when there is one.
/// </summary>
internal static class BindListener
{
    // Room for a few wrong peers (refused in strict mode) queued in front of the right one.
    private const int Backlog = 8;

    /// <summary>
    /// The address to listen on and the one to announce. The announced one is never a wildcard when
    /// a concrete address is known: a client handing "0.0.0.0" to its peer (an FTP PORT command)
    /// sends the peer nowhere. Without <c>bind.address</c> the listener is in the family of the
    /// expected peer: a client on IPv6 expecting an IPv4 peer gets this host's IPv4 address towards
    /// that peer, since the peer could not reach the IPv6 address the client came in on.
    /// </summary>
    /// <param name="bind">The [bind] section.</param>
    /// <param name="clientReached">The listener address the client came in on.</param>
    /// <param name="expectedPeer">The peer's address when the request names one (not 0.0.0.0), or the first its name resolved to.</param>
    /// <param name="version">The client's dialect (SOCKS4 can announce IPv4 only).</param>
    /// <param name="listen">Where to listen.</param>
    /// <param name="announce">What the first reply announces.</param>
    /// <param name="failure">Why there is no address, for the log.</param>
    /// <param name="outside">The [outside] addresses: without bind.address, the listener's address in its family when set.</param>
    public static bool TryChoose(BindOptions bind, IPAddress clientReached, IPAddress? expectedPeer, SocksVersion version, OutsideAddresses outside,
        out IPAddress listen, out IPAddress announce, out string? failure)
    {
        clientReached = Normalize(clientReached);
        listen = bind.Address is { } configured ? Normalize(configured) : clientReached;
        var family = expectedPeer is { } hint && Normalize(hint).AddressFamily != clientReached.AddressFamily ? Normalize(hint).AddressFamily : clientReached.AddressFamily;
        if (bind.Address is null && outside.For(family) is { } external)
        {
            listen = external;
        }
        else if (bind.Address is null && expectedPeer is { } peer && Normalize(peer) is var wanted && wanted.AddressFamily != clientReached.AddressFamily)
        {
            if (RouteSource.Towards(wanted) is not { } towards)
            {
                announce = listen;
                failure = $"the BIND peer {wanted} is {Family(wanted)}, the client came over {Family(clientReached)}, and this host has no route to {wanted}";
                return false;
            }

            listen = towards;
        }

        announce = listen;
        failure = null;
        if (listen.Equals(IPAddress.Any) || listen.Equals(IPAddress.IPv6Any))
        {
            if (clientReached.AddressFamily != listen.AddressFamily)
            {
                failure = $"bind.address {listen} listens on every {Family(listen)} address, but the client came over {Family(clientReached)}, so there is no concrete address to announce";
                return false;
            }

            announce = clientReached;
        }

        if (version == SocksVersion.Socks4 && announce.AddressFamily != AddressFamily.InterNetwork)
        {
            failure = $"SOCKS4 cannot announce the IPv6 address {announce}; set bind.address to an IPv4 address or use SOCKS5";
            return false;
        }

        return true;
    }

    /// <summary>Opens a listener on <paramref name="address"/>: any port, or the first free one of the range.</summary>
    public static Socket? Open(IPAddress address, PortRange? range, out string? failure)
    {
        failure = null;
        if (range is not { } ports)
        {
            return TryOpen(address, 0, out failure, out _);
        }

        // Start at a random port so concurrent BINDs do not all race for the first one; one pass over
        // the range bounds the search.
        int offset = Random.Shared.Next(ports.Count);
        for (int i = 0; i < ports.Count; i++)
        {
            int port = ports.First + ((offset + i) % ports.Count);
            var socket = TryOpen(address, port, out failure, out bool inUse);
            if (socket is not null || !inUse)
            {
                return socket;
            }
        }

        failure = $"no free port in bind.port_range {ports} on {address}";
        return null;
    }

    private static Socket? TryOpen(IPAddress address, int port, out string? failure, out bool inUse)
    {
        failure = null;
        inUse = false;
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (address.AddressFamily == AddressFamily.InterNetworkV6)
            {
                // "::" means every IPv6 address, as it does for the server's listeners.
                socket.DualMode = false;
            }

            socket.Bind(new IPEndPoint(address, port));
            socket.Listen(Backlog);
            return socket;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            inUse = e.SocketErrorCode == SocketError.AddressAlreadyInUse;
            failure = $"cannot listen on {new IPEndPoint(address, port)} for BIND: {e.SocketErrorCode}";
            return null;
        }
    }

    private static string Family(IPAddress address) => address.AddressFamily == AddressFamily.InterNetwork ? "IPv4" : "IPv6";

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
