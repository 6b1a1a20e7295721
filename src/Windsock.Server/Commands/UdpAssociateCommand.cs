using System.Net;
using System.Net.Sockets;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Server.Configuration;
using Windsock.Server.Sessions;
using Windsock.Server.Sessions.Steps;
using Windsock.Server.Udp;

namespace Windsock.Server.Commands;

/// <summary>
/// UDP ASSOCIATE (RFC 1928 section 7): open a relay socket, tell the client where to send its
/// datagrams, relay until the control connection closes or the association idles out.
/// </summary>
internal static class UdpAssociateCommand
{
    /// <summary>
    /// The dispatch step's entry. Bytes behind the request on the control connection (plaintext or still-wrapped
    /// GSSAPI frames) tell the association the client is talking; the reader is let go, as an association may last hours.
    /// </summary>
    public static Task HandleAsync(ClientConnection client, SessionRequest request, CancellationToken cancellationToken)
    {
        bool controlHasData = !request.Reader.Leftover.IsEmpty || !(client.Protection?.PendingInput.IsEmpty ?? true);
        request.Reader.Dispose();
        return RunAsync(client, request.Destination, controlHasData, cancellationToken);
    }

    /// <param name="client">The control connection.</param>
    /// <param name="stated">
    /// The request's DST.ADDR/PORT: where the client says it will send from. Clients send zeros,
    /// 0.0.0.0:0, the name "0", or their real address; the address is not trusted (behind NAT it is a
    /// private one) and datagrams are accepted only from the control connection's address. A port
    /// other than 0 pins the association to that source port from the start.
    /// </param>
    /// <param name="controlHasData">The client sent bytes behind its request, which ends the association at once.</param>
    /// <param name="cancellationToken">Server shutdown.</param>
    public static async Task RunAsync(ClientConnection client, SocksEndpoint stated, bool controlHasData, CancellationToken cancellationToken)
    {
        var context = client.Context;
        var record = client.Record;
        var options = context.Options.Udp;

        // The socket announced, bound to exactly the address announced (replies must leave from it), on a port
        // of udp.port_range; and the outside ones towards destinations, on the [outside] address of their family.
        UdpOutsideSockets relay;
        Socket clientSide;
        try
        {
            clientSide = OpenClientSide(client, options);
            try
            {
                relay = UdpOutsideSockets.Open(context.Options.Outside);
            }
            catch
            {
                clientSide.Dispose();
                throw;
            }
        }
        catch (Exception e) when (e is UdpPortsExhaustedException or SocketException)
        {
            record.EndReason = e is SocketException se ? $"cannot open a UDP relay socket: {se.SocketErrorCode}" : e.Message;
            await client.ReplyAsync(Socks5ReplyCode.GeneralFailure, null, cancellationToken).ConfigureAwait(false);
            return;
        }

        using (clientSide)
        using (relay)
        {
            var advertised = new IPEndPoint(options.AdvertisedAddress ?? ReachedAddress(client), ((IPEndPoint)clientSide.LocalEndPoint!).Port);
            record.Udp = new UdpRecord(advertised);
            await client.ReplyAsync(Socks5ReplyCode.Succeeded, advertised, cancellationToken).ConfigureAwait(false);
            if (controlHasData)
            {
                record.EndReason = "client sent data on the control connection";
                return;
            }

            var association = new UdpAssociation(relay, client.Socket, record, context, record.Client.Address, stated.Port, client.Protection, clientSide);
            record.EndReason = await association.RunAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The association's client side, bound to the address the reply announces: udp.advertised_address when
    /// it is an address of this host (a node behind a balancer announces its own reachable address, which
    /// is not the one the balancer's TCP connection reached), else the address the client reached. An
    /// advertised address this host does not have (a NAT's public address in front of it) cannot be bound:
    /// the client's datagrams then arrive at whichever local address the NAT forwards to, so the socket
    /// takes every address, as before the exact binding.
    /// </summary>
    private static Socket OpenClientSide(ClientConnection client, UdpOptions options)
    {
        if (options.AdvertisedAddress is not { } advertised)
        {
            return UdpRelaySocket.Open(ReachedAddress(client), options.PortRange);
        }

        try
        {
            return UdpRelaySocket.Open(advertised, options.PortRange);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressNotAvailable)
        {
            return UdpRelaySocket.Open(null, options.PortRange);
        }
    }

    /// <summary>
    /// The address the client reached the server on: the control connection's local address, which is
    /// right even when the listener is bound to 0.0.0.0 or [::] (the listener's own address is not).
    /// </summary>
    private static IPAddress ReachedAddress(ClientConnection client)
    {
        IPAddress address;
        try
        {
            address = ((IPEndPoint)client.Socket.LocalEndPoint!).Address;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            address = client.LocalEndPoint.Address;
        }

        return address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
    }
}
