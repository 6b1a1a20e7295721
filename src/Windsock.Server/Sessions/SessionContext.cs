using Microsoft.Extensions.Logging;
using Windsock.Policy;
using Windsock.Server.Authentication;
using Windsock.Server.Configuration;
using Windsock.Server.Ident;
using Windsock.Server.Logging;
using Windsock.Server.Outbound;

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
        Ident = options.IdentMode == IdentMode.Off ? null : new IdentClient(options.IdentTimeout, options.IdentPort, time);
    }

    /// <summary>Set when ident lookups are on (SOCKS4 user ids are checked against the client host's identd).</summary>
    public IdentClient? Ident { get; }

    public ServerOptions Options { get; }

    /// <summary>When set, RFC 1929 username/password is required and SOCKS4 is refused.</summary>
    public ICredentialVerifier? Credentials { get; }

    public RequestLog RequestLog { get; }

    public ILogger Logger { get; }

    public TimeProvider Time { get; }

    public NetworkSet AllowedClients { get; }

    public OutboundConnector Connector { get; }
}
