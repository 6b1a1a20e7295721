namespace Windsock.Server.Hooks;

/// <summary>The facts a hook command can substitute, gathered from a session at the moment the hook fires.</summary>
/// <param name="ClientName">%A: the client host's name if known, else its address.</param>
/// <param name="ClientAddress">%a.</param>
/// <param name="Command">%c: connect, bind, udp-associate, ...</param>
/// <param name="Service">%S: the destination port's service name (http, smtp...) if known, else the port.</param>
/// <param name="Port">%s: the destination port.</param>
/// <param name="IdentUser">%U: the user the client host's identd reported.</param>
/// <param name="SocksUser">%u: the user the client sent (SOCKS4 user id, RFC 1929 name).</param>
/// <param name="DestinationName">%Z: the destination's name if known, else its address.</param>
/// <param name="DestinationAddress">%z: the destination address actually used (or requested).</param>
public sealed record HookValues(
    string? ClientName,
    string? ClientAddress,
    string? Command,
    string? Service,
    string? Port,
    string? IdentUser,
    string? SocksUser,
    string? DestinationName,
    string? DestinationAddress);
