using Windsock.Server.Sessions;

namespace Windsock.Server.Udp;

/// <summary>
/// The one decision point every relayed datagram's destination passes through, before its name is resolved
/// and before it is sent. The server's is the access rules (<c>AccessGate</c>); tests may plug in their own.
/// </summary>
public interface IUdpDestinationFilter
{
    /// <summary>The decisions for one association's datagrams, asked for once when the association starts.</summary>
    IUdpDatagramDecisions ForAssociation(SessionRecord session);
}
