using System.Net;

namespace Windsock.Server.Udp;

/// <summary>
/// An association's verdict on one address destination, kept for the rules' generation it was given in, with
/// what sending there needs made once: the socket address in the relay socket's form (no serialisation per
/// datagram) and the endpoint for logs.
/// </summary>
/// <param name="EndPoint">The destination, IPv4 plain.</param>
/// <param name="Target">The destination as the relay socket sends to it (IPv4-mapped on a dual-mode socket).</param>
/// <param name="Allowed">The rules' verdict.</param>
/// <param name="Generation">The <see cref="IUdpDatagramDecisions.Generation"/> the verdict was given in.</param>
internal sealed record UdpDestination(IPEndPoint EndPoint, SocketAddress Target, bool Allowed, int Generation);
