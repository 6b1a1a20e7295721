using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Windsock.Protocol;

namespace Windsock.Client.Handshake;

/// <summary>Turns what the caller asked for into what a given hop can be sent: an address, or a name it resolves itself.</summary>
internal static class DestinationResolver
{
    /// <summary>
    /// The destinations to try in order: the name itself when the hop resolves names, otherwise the
    /// addresses it has here (IPv4 only for SOCKS4 and SOCKS4a), in the resolver's order.
    /// </summary>
    public static async ValueTask<SocksEndpoint[]> ResolveAsync(HopContext hop, string host, int port, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host, out var literal))
        {
            return [FromAddress(hop, literal, port)];
        }

        string shown = string.Create(CultureInfo.InvariantCulture, $"{host}:{port}");
        if (hop.Hop.ResolvesNamesAtProxy)
        {
            if (HostName.Validate(host) is var error and not ProtocolError.None)
            {
                throw hop.AddressNotSupported(shown, $"a SOCKS host name is 1 to 255 printable ASCII characters ({error})");
            }

            return [SocksEndpoint.FromHost(host, (ushort)port)];
        }

        var addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        bool ipv4Only = hop.Hop.Protocol != SocksProtocol.Socks5;
        var usable = addresses
            .Select(a => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a)
            .Where(a => a.AddressFamily == AddressFamily.InterNetwork || (!ipv4Only && a.AddressFamily == AddressFamily.InterNetworkV6))
            .Distinct()
            .Select(a => SocksEndpoint.FromAddress(a, (ushort)port))
            .ToArray();
        return usable.Length > 0
            ? usable
            : throw hop.AddressNotSupported(shown, ipv4Only ? "it has no IPv4 address, and SOCKS4 carries nothing else" : "it resolved to no address");
    }

    public static SocksEndpoint FromAddress(HopContext hop, IPAddress address, int port)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        var endpoint = SocksEndpoint.FromAddress(address, (ushort)port);
        if (hop.Hop.Protocol != SocksProtocol.Socks5)
        {
            if (address.AddressFamily != AddressFamily.InterNetwork)
            {
                throw hop.AddressNotSupported(endpoint.ToString(), "SOCKS4 carries IPv4 addresses only");
            }

            if (address.GetAddressBytes() is [0, 0, 0, not 0])
            {
                throw hop.AddressNotSupported(endpoint.ToString(), "0.0.0.x is SOCKS4a's marker for a host name");
            }
        }

        return endpoint;
    }

    public static async ValueTask<SocksEndpoint[]> ResolveAsync(HopContext hop, EndPoint destination, CancellationToken cancellationToken) => destination switch
    {
        IPEndPoint ip => [FromAddress(hop, ip.Address, ip.Port)],
        DnsEndPoint dns => await ResolveAsync(hop, dns.Host, dns.Port, cancellationToken).ConfigureAwait(false),
        null => throw new ArgumentNullException(nameof(destination)),
        _ => throw new ArgumentException($"A destination is an IPEndPoint or a DnsEndPoint, not {destination.GetType().Name}.", nameof(destination)),
    };
}
