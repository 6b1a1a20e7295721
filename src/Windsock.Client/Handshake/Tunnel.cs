using System.Net;
using System.Net.Sockets;
using Windsock.Protocol;

namespace Windsock.Client.Handshake;

/// <summary>Builds the TCP path to the last hop: connect to the first, then CONNECT each hop to the next.</summary>
internal static class Tunnel
{
    /// <summary>Returns the path on whose stream the next bytes are spoken with the chain's last hop.</summary>
    /// <remarks>
    /// The call's <see cref="SocksClientOptions.ConnectTimeout"/> bounds each TCP connection attempt to the
    /// first hop; when it runs out the hop counts as unreachable (so a router can fall back to another
    /// proxy), unlike a cancellation by the caller. Once connected, the handshake clock starts.
    /// </remarks>
    public static async Task<ProxyConnection> OpenToLastHopAsync(ProxyChain chain, byte[] buffer, CancellationToken cancellationToken)
    {
        var call = ClientCall.Current;
        var connectTimeout = call?.Options.ConnectTimeout ?? Timeout.InfiniteTimeSpan;
        var connection = new ProxyConnection(await ConnectFirstHopAsync(new HopContext(0, chain.Count, chain[0]), connectTimeout, cancellationToken).ConfigureAwait(false));
        call?.StartHandshakeClock();
        try
        {
            for (int i = 1; i < chain.Count; i++)
            {
                var via = new HopContext(i - 1, chain.Count, chain[i - 1]);
                var next = chain[i];
                SocksEndpoint destination = next.Address is { } address
                    ? DestinationResolver.FromAddress(via, address, next.Port)
                    : (await DestinationResolver.ResolveAsync(via, next.Host, next.Port, cancellationToken).ConfigureAwait(false))[0];
                await HopHandshake.RequestAsync(connection, via, ProxyCommand.Connect, destination, buffer, cancellationToken).ConfigureAwait(false);
                ClientTrace.Write(via, $"tunnel to the next hop {next} open");
            }

            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static async Task<Socket> ConnectFirstHopAsync(HopContext hop, TimeSpan connectTimeout, CancellationToken cancellationToken)
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
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(connectTimeout);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, hop.Hop.Port), attempt.Token).ConfigureAwait(false);
                ClientTrace.Write(hop, $"TCP connection to {new IPEndPoint(address, hop.Hop.Port)} from {socket.LocalEndPoint}");
                return socket;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                socket.Dispose();
                first ??= new SocketException((int)SocketError.TimedOut);
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
