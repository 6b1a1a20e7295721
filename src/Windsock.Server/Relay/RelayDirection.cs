using System.Net.Sockets;

namespace Windsock.Server.Relay;

/// <summary>
/// One way through a relay: the socket read, the socket written, and whom to blame when either fails.
/// A value passed to the pump of that direction, so the two pumps of a relay share one code path.
/// </summary>
internal readonly struct RelayDirection(Socket from, Socket to, bool upstream, ParkedSocket? park = null)
{
    public Socket From { get; } = from;

    public Socket To { get; } = to;

    /// <summary>Where the pump waits for <see cref="From"/> to become readable (Linux); null: a zero-byte receive.</summary>
    public ParkedSocket? Park { get; } = park;

    /// <summary>True for client → destination.</summary>
    public bool Upstream { get; } = upstream;

    /// <summary>Who is at fault when <see cref="From"/> fails.</summary>
    public RelaySide FromSide => Upstream ? RelaySide.Client : RelaySide.Destination;

    /// <summary>Who is at fault when <see cref="To"/> fails.</summary>
    public RelaySide ToSide => Upstream ? RelaySide.Destination : RelaySide.Client;
}
