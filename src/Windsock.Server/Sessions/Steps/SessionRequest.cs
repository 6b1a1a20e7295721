using Windsock.Policy;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;

namespace Windsock.Server.Sessions.Steps;

/// <summary>
/// An accepted request on its way from the decide step to its command handler: the command, the destination,
/// the handshake reader (whose leftover bytes the handler takes, then disposes of it), and, when the decision
/// waits for an address, the request as the rules saw it, to hand back to the gate with each address.
/// </summary>
internal sealed class SessionRequest(Socks5Command command, SocksEndpoint destination, HandshakeReader reader)
{
    public Socks5Command Command { get; } = command;

    public SocksEndpoint Destination { get; } = destination;

    public HandshakeReader Reader { get; } = reader;

    /// <summary>The request's RSV byte: for PING and TRACEROUTE, X'01' says an options line follows it.</summary>
    public byte Reserved { get; init; }

    /// <summary>Set by the decide step when the decision waits for the resolved address; null when decided or not decided by rules.</summary>
    public AccessRequest? Pending { get; set; }

    /// <summary>Set by the decide step when the rules allowed the request up front: its rule's via and source say how it goes out.</summary>
    public Decision? Decided { get; set; }
}
