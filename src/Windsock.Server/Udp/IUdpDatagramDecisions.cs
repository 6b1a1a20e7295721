using System.Net;
using Windsock.Protocol;

namespace Windsock.Server.Udp;

/// <summary>
/// Decides the destinations of one association's datagrams. Asked on the association's receive loop, one
/// datagram at a time (so an implementation needs no locking), for every datagram whose destination the
/// association holds no verdict on of the current <see cref="Generation"/>: it must be fast and must not
/// block. A datagram that names a host is asked about twice, as CONNECT is: on the name before it is looked
/// up, then on each address it resolves to until one is allowed.
/// </summary>
public interface IUdpDatagramDecisions
{
    /// <summary>
    /// Moves on whenever an answer given before may no longer hold (a reload put other rules in force). The
    /// association keeps the verdicts on the addresses it sends to, tagged with the generation they were given
    /// in, and asks again about a destination whose verdict is of an older one. Read once per datagram: cheap.
    /// </summary>
    int Generation { get; }

    /// <summary>
    /// Before a datagram's destination name is looked up: false when the name alone is denied. The datagram
    /// is then dropped (counted as <see cref="UdpDropReason.Denied"/>) and the name never resolved.
    /// </summary>
    /// <param name="requested">The destination as the datagram names it: a host name and a port.</param>
    bool MayResolve(SocksEndpoint requested);

    /// <summary>True to send the datagram to <paramref name="destination"/>; false skips that address (and drops the datagram when it was the last).</summary>
    /// <param name="requested">The destination as the datagram names it: a host name, or the address itself.</param>
    /// <param name="destination">The address and port the relay is about to send to.</param>
    bool IsAllowed(SocksEndpoint requested, IPEndPoint destination);
}
