using System.Net;

namespace Windsock.Client;

/// <summary>One datagram received through the relay, with its own copy of the payload.</summary>
/// <param name="Payload">The datagram's payload, without the SOCKS header.</param>
/// <param name="RemoteEndPoint">The sender as the relay reports it: an <see cref="IPEndPoint"/>, or a <see cref="DnsEndPoint"/> if the relay gives a name.</param>
public readonly record struct SocksUdpDatagram(ReadOnlyMemory<byte> Payload, EndPoint RemoteEndPoint);
