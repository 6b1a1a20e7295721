using System.Net;
using System.Net.Sockets;
using Windsock.Protocol;

namespace Windsock.Client.Handshake;

/// <summary>Builds the TCP path to the last hop: connect to the first, then CONNECT each hop to the next.</summary>
internal static class Tunnel
{
    /// <summary>Returns a socket on which the next bytes are spoken with the chain's last hop.</summary>
    public static async Task<Socket> OpenToLastHopAsync(ProxyChain chain, byte[] buffer, CancellationToken cancellationToken)
    {
        var socket = await ConnectFirstHopAsync(new HopContext(0, chain.Count, chain[0]), cancellationToken).ConfigureAwait(false);
        try
        {
            for (int i = 1; i < chain.Count; i++)
            {
                var via = new HopContext(i - 1, chain.Count, chain[i - 1]);
                var next = chain[i];
                SocksEndpoint destination = next.Address is { } address
                    ? DestinationResolver.FromAddress(via, address, next.Port)
                    : (await DestinationResolver.ResolveAsync(via, next.Host, next.Port, cancellationToken).ConfigureAwait(false))[0];
                await HopHandshake.RequestAsync(socket, via, ProxyCommand.Connect, destination, buffer, cancellationToken).ConfigureAwait(false);
            }

            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task<Socket> ConnectFirstHopAsync(HopContext hop, CancellationToken cancellationToken)
    {
        IPAddress[] addresses;
        try
        {
            addresses = hop.Hop.Address is { } known ? [known] : await Dns.GetHostAddressesAsync(hop.Hop.Host, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw hop.Unreachable(e);
        }

        SocketException? first = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, hop.Hop.Port), cancellationToken).ConfigureAwait(false);
                return socket;
            }
            catch (SocketException e)
            {
                socket.Dispose();
                first ??= e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw hop.Unreachable(first);
    }
}
