using System.Net;
using Windsock.Server.Sessions;

namespace Windsock.Server.Udp;

/// <summary>
/// The one decision point every relayed datagram's destination passes through, after name resolution
/// and before it is sent. The policy engine plugs in here; until then <see cref="AllowAllUdpDestinations"/>.
/// Called on the association's receive loop for every datagram: it must be fast and must not block.
/// </summary>
public interface IUdpDestinationFilter
{
    /// <summary>True to send the datagram; false drops it (counted as <see cref="UdpDropReason.Denied"/>).</summary>
    bool IsAllowed(SessionRecord session, IPEndPoint destination);
}
