using System.Net;
using System.Net.Sockets;
using Windsock.Protocol;

namespace Windsock.Client.Handshake;

/// <summary>Addresses a proxy announces (BIND's listener, UDP ASSOCIATE's relay), made usable from here.</summary>
internal static class ProxyAddress
{
    /// <summary>
    /// An unspecified address (0.0.0.0 or ::) means "the proxy's own address" (RFC 1928 convention,
    /// and SOCKS4 BIND's rule); a name (SOCKS5 ATYP 3) is resolved here.
    /// </summary>
    public static async ValueTask<IPEndPoint> ResolveAsync(Socket control, HopContext hop, SocksEndpoint announced, CancellationToken cancellationToken)
    {
        if (announced.Address is { } address)
        {
            if (!address.Equals(IPAddress.Any) && !address.Equals(IPAddress.IPv6Any))
            {
                return new IPEndPoint(address, announced.Port);
            }

            return new IPEndPoint(await AddressOfHopAsync(control, hop, cancellationToken).ConfigureAwait(false), announced.Port);
        }

        var addresses = await LookUpAsync(announced.Host!, hop, "it announced the name", cancellationToken).ConfigureAwait(false);
        return addresses.Length > 0
            ? new IPEndPoint(addresses[0], announced.Port)
            : throw hop.Violation($"it announced the name {announced.Host}, which does not resolve here");
    }

    /// <summary>
    /// A local lookup of a name the proxy gave: a name that does not resolve is the proxy's fault, and the
    /// caller gets the library's one error for that (found by fuzzing: a SocketException escaped here).
    /// </summary>
    private static async ValueTask<IPAddress[]> LookUpAsync(string host, HopContext hop, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ArgumentException)
        {
            throw hop.Violation($"{what} {host}, which does not resolve here ({e.Message})");
        }
    }

    private static async ValueTask<IPAddress> AddressOfHopAsync(Socket control, HopContext hop, CancellationToken cancellationToken)
    {
        if (hop.Index == 0)
        {
            // The address this socket actually reached, whichever of the hop's addresses that was.
            var remote = ((IPEndPoint)control.RemoteEndPoint!).Address;
            return remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote;
        }

        if (hop.Hop.Address is { } known)
        {
            return known;
        }

        var addresses = await LookUpAsync(hop.Hop.Host, hop, "it announced 0.0.0.0 and its own name is", cancellationToken).ConfigureAwait(false);
        return addresses.Length > 0 ? addresses[0] : throw hop.Violation("it announced 0.0.0.0 and its own name does not resolve here");
    }
}
