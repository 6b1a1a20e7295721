using System.Net;
using Windsock.Server.Sessions;

namespace Windsock.Server.Udp;

/// <summary>The default filter: the configuration has no destination rules yet, so every destination is allowed.</summary>
public sealed class AllowAllUdpDestinations : IUdpDestinationFilter
{
    public static AllowAllUdpDestinations Instance { get; } = new();

    public bool IsAllowed(SessionRecord session, IPEndPoint destination) => true;
}
