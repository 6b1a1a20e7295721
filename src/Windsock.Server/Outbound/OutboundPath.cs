using System.Net;

namespace Windsock.Server.Outbound;

/// <summary>
/// How a session's connection went out when a rule chose it (the request log's route, route_chain, route_hops and
/// source fields): through chain <see cref="Chain"/> of upstream route <see cref="Route"/>, or directly from a rule's
/// <see cref="Source"/> address. Null on the session record for every other connection, whose log lines keep their shape.
/// </summary>
public sealed record OutboundPath
{
    /// <summary>The route's name; null for a direct connection from a rule's source address.</summary>
    public string? Route { get; init; }

    /// <summary>The chain used, from 1; 0 when no chain got through.</summary>
    public int Chain { get; init; }

    /// <summary>The chain's hops as URLs (users, never passwords).</summary>
    public string? Hops { get; init; }

    /// <summary>A rule's source address the connection left from.</summary>
    public IPAddress? Source { get; init; }
}
