using System.Net;

namespace Windsock.Server.Configuration;

/// <summary>
/// The admin listener (<c>[admin]</c>): Prometheus metrics, the status API behind <c>windsock status</c> and the
/// status page. Off unless configured. Either a TCP address or a unix socket path; a token file makes every
/// request carry <c>Authorization: Bearer TOKEN</c> and is required on any address that is not loopback.
/// </summary>
public sealed record AdminOptions
{
    /// <summary>The TCP address to listen on; null with <see cref="SocketPath"/>.</summary>
    public IPEndPoint? EndPoint { get; init; }

    /// <summary>The unix socket to listen on (made mode 0600); null with <see cref="EndPoint"/>.</summary>
    public string? SocketPath { get; init; }

    /// <summary>The file holding the bearer token (one line; mode 0600 or 0400).</summary>
    public string? TokenFile { get; init; }

    /// <summary>True for a unix socket or a loopback address: reachable from this host only.</summary>
    public bool IsLocal => SocketPath is not null || (EndPoint is { } endPoint && IPAddress.IsLoopback(endPoint.Address));

    /// <summary>"127.0.0.1:9180" or "unix:/run/windsock/admin.sock", as messages and `windsock check` show it.</summary>
    public string Describe() => SocketPath is { } path ? $"unix:{path}" : EndPoint!.ToString();
}
