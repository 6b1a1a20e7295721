using System.Net;
using System.Net.Sockets;
using Windsock.Server.Configuration;

namespace Windsock.Server.Udp;

/// <summary>
/// An association's sockets towards destinations. Without [outside] one socket on every address of both
/// families, as before (the routing table picks the source). With an [outside] address for a family, that
/// family's datagrams leave from a socket bound to exactly it, like CONNECT's outbound connections and BIND's
/// listeners, so a firewall or a destination sees one source address; a family without one keeps a socket on
/// every address of that family only.
/// </summary>
internal sealed class UdpOutsideSockets : IDisposable
{
    private readonly Socket? _ipv4;
    private readonly Socket? _ipv6;

    private UdpOutsideSockets(Socket? ipv4, Socket? ipv6)
    {
        _ipv4 = ipv4;
        _ipv6 = ipv6;
        All = ipv4 is null || ipv6 is null || ipv4 == ipv6 ? [(ipv4 ?? ipv6)!] : [ipv4, ipv6];
    }

    /// <summary>Every distinct socket, each of which needs a receive loop (answers arrive where datagrams left).</summary>
    public IReadOnlyList<Socket> All { get; }

    /// <summary>True when IPv6 destinations can be reached.</summary>
    public bool CanSendIPv6 => _ipv6 is not null;

    /// <summary>Opens the sockets <paramref name="outside"/> asks for. Throws SocketException.</summary>
    public static UdpOutsideSockets Open(OutsideAddresses outside)
    {
        if (outside.IPv4 is null && outside.IPv6 is null)
        {
            var both = UdpRelaySocket.Open(null);
            return new UdpOutsideSockets(both, UdpRelaySocket.CanSendIPv6(both) ? both : null);
        }

        var ipv4 = UdpRelaySocket.Open(outside.IPv4 ?? IPAddress.Any, null);
        try
        {
            // IPv6Any stands for "this family only": an exact address or the unspecified one is never dual-mode.
            var ipv6 = outside.IPv6 is not null || Socket.OSSupportsIPv6 ? UdpRelaySocket.Open(outside.IPv6 ?? IPAddress.IPv6Any, null) : null;
            return new UdpOutsideSockets(ipv4, ipv6);
        }
        catch
        {
            ipv4.Dispose();
            throw;
        }
    }

    /// <summary>The socket that sends to <paramref name="destination"/> (IPv4 destinations on a dual-mode socket are mapped by the runtime).</summary>
    public Socket For(IPAddress destination) => destination.AddressFamily == AddressFamily.InterNetworkV6 ? _ipv6! : (_ipv4 ?? _ipv6)!;

    /// <summary>True when <paramref name="socket"/> is one of these (a datagram arriving on it is from outside).</summary>
    public bool Owns(Socket socket) => socket == _ipv4 || socket == _ipv6;

    public void Dispose()
    {
        _ipv4?.Dispose();
        if (_ipv6 != _ipv4)
        {
            _ipv6?.Dispose();
        }
    }
}
