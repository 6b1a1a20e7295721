using System.Net;

namespace Windsock.Client;

/// <summary>One datagram received through the relay: its length in the caller's buffer and who sent it.</summary>
/// <param name="ReceivedBytes">Payload bytes copied to the start of the caller's buffer.</param>
/// <param name="RemoteEndPoint">The sender as the relay reports it: an <see cref="IPEndPoint"/>, or a <see cref="DnsEndPoint"/> if the relay gives a name.</param>
public readonly record struct SocksUdpReceiveResult(int ReceivedBytes, EndPoint RemoteEndPoint);
