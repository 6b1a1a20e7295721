using System.Net;
using System.Net.Sockets;

namespace Windsock.Server.Configuration;

/// <summary>
/// The <c>[outside]</c> section, Dante's <c>external:</c>: the address per family the server uses towards
/// destinations on a multi-homed host: the source of outbound connections and the default address BIND
/// listens on. Unset, the routing table picks the source as usual.
/// </summary>
public sealed record OutsideAddresses
{
    public static OutsideAddresses None { get; } = new();

    public IPAddress? IPv4 { get; init; }

    public IPAddress? IPv6 { get; init; }

    /// <summary>
    /// Whether this host can send from <paramref name="address"/>: one of its interfaces has it (loopback counts
    /// whole, as Linux answers the whole of 127.0.0.0/8 on lo). [outside] and a rule's source are checked so.
    /// </summary>
    public static bool IsOnThisHost(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return IPAddress.IsLoopback(address) || Access.AccessGate.LocalAddresses().Contains(address);
    }

    /// <summary>The outside address for a destination of <paramref name="family"/>; null when none is set for it.</summary>
    public IPAddress? For(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? IPv6 : family == AddressFamily.InterNetwork ? IPv4 : null;
}
