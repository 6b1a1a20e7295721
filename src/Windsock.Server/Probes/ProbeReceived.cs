using System.Net;

namespace Windsock.Server.Probes;

/// <summary>
/// One thing a probe socket read: a datagram (an echo reply: <see cref="IsError"/> false), or an ICMP error
/// from the error queue (a router's Time Exceeded, a Destination Unreachable) with the router's address.
/// </summary>
/// <param name="IsError">From the error queue.</param>
/// <param name="From">The sender of the datagram, or the router / host that reported the error.</param>
/// <param name="Length">Bytes of <c>Data</c> in the caller's buffer: the ICMP message, or the quoted start of our probe.</param>
/// <param name="Ttl">The reply's TTL / hop limit; -1 when unknown.</param>
/// <param name="IcmpType">The error's ICMP type (errors only).</param>
/// <param name="IcmpCode">The error's ICMP code (errors only).</param>
/// <param name="OriginalPort">The error's original destination port (UDP probes), 0 otherwise.</param>
internal readonly record struct ProbeReceived(bool IsError, IPAddress From, int Length, int Ttl, byte IcmpType, byte IcmpCode, int OriginalPort);
