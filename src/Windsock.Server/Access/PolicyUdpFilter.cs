using System.Net;
using Windsock.Policy;
using Windsock.Protocol;
using Windsock.Server.Sessions;
using Windsock.Server.Udp;

namespace Windsock.Server.Access;

/// <summary>Every datagram's remote party, in either direction, decided by the access rules as command <c>udp</c>.</summary>
internal sealed class PolicyUdpFilter : IUdpDestinationFilter
{
    private readonly SessionContext _context;

    public PolicyUdpFilter(SessionContext context)
    {
        _context = context;
    }

    public bool IsAllowed(SessionRecord session, IPEndPoint destination)
    {
        var gate = _context.Access;
        var request = gate.Describe(session, SocksVersion.Socks5, PolicyCommand.UdpAssociate, SocksEndpoint.FromEndPoint(destination), destination.Address);
        return gate.Decide(request).IsAllowed;
    }
}
