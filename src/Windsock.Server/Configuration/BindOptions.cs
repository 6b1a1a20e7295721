using System.Net;

namespace Windsock.Server.Configuration;

/// <summary>The <c>[bind]</c> section: where BIND listens, which peers it takes, how long it waits.</summary>
public sealed record BindOptions
{
    public static BindOptions Default { get; } = new();

    /// <summary>
    /// The address to listen on and announce. Null: the address of the listener the client reached,
    /// which is an address the client demonstrably can reach, so usually the right one to hand on.
    /// </summary>
    public IPAddress? Address { get; init; }

    /// <summary>Ports to listen on, for firewalls that open only a range; null lets the system pick.</summary>
    public PortRange? PortRange { get; init; }

    public PeerCheck PeerCheck { get; init; } = PeerCheck.Strict;

    /// <summary>How long the listener waits for the peer after the first reply.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);
}
