using Microsoft.Extensions.Logging;
using Windsock.Policy;
using Windsock.Server.Authentication;
using Windsock.Server.Configuration;
using Windsock.Server.Logging;
using Windsock.Server.Outbound;
using Windsock.Server.Udp;

namespace Windsock.Server.Sessions;

/// <summary>What every session of one server shares: options, the user store, the connector and the logs.</summary>
public sealed class SessionContext
{
    public SessionContext(ServerOptions options, ICredentialVerifier? credentials, RequestLog requestLog, ILogger logger, TimeProvider time)
    {
        Options = options;
        Credentials = credentials;
        RequestLog = requestLog;
        Logger = logger;
        Time = time;
        AllowedClients = new NetworkSet(options.AllowedClients);
        Connector = new OutboundConnector(options.ConnectTimeout, time);
        UdpNames = new UdpNameCache(time, options.ConnectTimeout);
    }

    public ServerOptions Options { get; }

    /// <summary>When set, RFC 1929 username/password is required and SOCKS4 is refused.</summary>
    public ICredentialVerifier? Credentials { get; }

    public RequestLog RequestLog { get; }

    public ILogger Logger { get; }

    public TimeProvider Time { get; }

    public NetworkSet AllowedClients { get; }

    public OutboundConnector Connector { get; }

    /// <summary>Destination names of UDP datagrams, resolved and kept briefly, shared by all associations.</summary>
    public UdpNameCache UdpNames { get; }

    /// <summary>
    /// Where every UDP datagram's destination is decided. Allow-all until the policy engine sets its own;
    /// set it before the server starts accepting.
    /// </summary>
    public IUdpDestinationFilter UdpDestinationFilter { get; set; } = AllowAllUdpDestinations.Instance;
}
