using Tomlyn.Syntax;

namespace Windsock.Server.Configuration.Sections;

/// <summary><c>[server]</c>: where to listen, who may connect, which balancers send PROXY headers, the log format, timeouts, the relay, and the account to run as.</summary>
internal static class ServerSection
{
    public static ConfigSection Schema { get; } = new(ConfigSchema.Server,
    [
        new("listen", static (r, key, _, e, o) => r.ReadListen(key, e.Value) is { } listen ? o with { Listen = listen } : null),
        new("allowed_clients", static (r, key, _, e, o) => r.ReadAllowedClients(key, e.Value) is { } clients ? o with { AllowedClients = clients } : null),
        new("proxy_protocol_from", static (r, key, _, e, o) => r.ReadProxyProtocolFrom(key, e.Value) is { } balancers ? o with { ProxyProtocolFrom = balancers } : null),
        new("log_format", static (r, key, _, e, o) => r.ReadLogFormat(key, e.Value) is { } format ? o with { LogFormat = format } : null),
        new("negotiation_timeout", static (r, key, name, e, o) => r.ReadDuration(key, name, e.Value) is { } d ? o with { NegotiationTimeout = d } : null),
        new("connect_timeout", static (r, key, name, e, o) => r.ReadDuration(key, name, e.Value) is { } d ? o with { ConnectTimeout = d } : null),
        new("idle_timeout", static (r, key, name, e, o) => r.ReadDuration(key, name, e.Value) is { } d ? o with { IdleTimeout = d } : null),
        new("shutdown_grace", static (r, key, name, e, o) => r.ReadDuration(key, name, e.Value) is { } d ? o with { ShutdownGrace = d } : null),
        new("relay_buffer_size", static (r, key, _, e, o) =>
            r.ReadInteger(key, e.Value, ConfigSchema.MinRelayBufferSize, ConfigSchema.MaxRelayBufferSize, "bytes, e.g. 65536") is { } size ? o with { RelayBufferSize = (int)size } : null),
        new("relay_mode", static (r, key, _, e, o) => r.ReadRelayMode(key, e.Value) is { } mode ? o with { RelayMode = mode } : null),
        new("user", static (r, key, _, e, o) => r.ReadRunAsUser(key, e, o)),
        new("group", static (r, key, _, e, o) => r.ReadRunAsGroup(key, e, o)),
        new("allow_open_proxy", static (r, key, _, e, o) =>
        {
            if (e.Value is not BooleanValueSyntax flag)
            {
                r.WrongType(key, e.Value, "true or false (without quotes)");
                return null;
            }

            return o with { AllowOpenProxy = flag.Value };
        }),
    ]);
}
