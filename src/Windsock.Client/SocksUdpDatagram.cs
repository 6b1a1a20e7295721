using System.Net;

namespace Windsock.Client;

/// <summary>One datagram received through the relay, with its own copy of the payload.</summary>
public readonly record struct SocksUdpDatagram(ReadOnlyMemory<byte> Payload, EndPoint RemoteEndPoint);
