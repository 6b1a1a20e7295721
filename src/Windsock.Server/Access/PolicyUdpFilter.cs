using Windsock.Server.Sessions;
using Windsock.Server.Udp;

namespace Windsock.Server.Access;

/// <summary>Every datagram's destination decided by the access rules as command <c>udp</c>; see <see cref="UdpDatagramPolicy"/>.</summary>
internal sealed class PolicyUdpFilter : IUdpDestinationFilter
{
    private readonly SessionContext _context;

    public PolicyUdpFilter(SessionContext context)
    {
        _context = context;
    }

    public IUdpDatagramDecisions ForAssociation(SessionRecord session) => _context.Access.ForUdpAssociation(session);
}
