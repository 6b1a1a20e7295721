using Microsoft.Extensions.Logging;

namespace Windsock.Client;

/// <summary>
/// Time limits and logging for a <see cref="SocksClient"/> (and a <see cref="Routing.Router"/>). Immutable
/// once built, so one instance can be shared by every client of a program. Each limit is a positive
/// <see cref="TimeSpan"/> or <see cref="Timeout.InfiniteTimeSpan"/> for none; the caller's
/// <see cref="CancellationToken"/> applies on top of them, whichever ends first.
/// </summary>
public sealed class SocksClientOptions
{
    private readonly TimeSpan _connectTimeout = DefaultConnectTimeout;
    private readonly TimeSpan _handshakeTimeout = DefaultHandshakeTimeout;
    private readonly TimeSpan _denialReasonTimeout = DefaultDenialReasonTimeout;

    /// <summary>The default of <see cref="ConnectTimeout"/>: 10 seconds.</summary>
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The default of <see cref="HandshakeTimeout"/>: 30 seconds.</summary>
    public static readonly TimeSpan DefaultHandshakeTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The default of <see cref="DenialReasonTimeout"/>: 500 milliseconds.</summary>
    public static readonly TimeSpan DefaultDenialReasonTimeout = TimeSpan.FromMilliseconds(500);

    /// <summary>The options a client has when none are given: the documented defaults, no logger.</summary>
    public static SocksClientOptions Default { get; } = new();

    /// <summary>
    /// How long one TCP connection attempt to the first proxy (or, for a <see cref="Routing.Router"/>, to a
    /// destination reached directly) may take. When it runs out, the next address of that host is tried,
    /// and after the last the failure is <see cref="SocksErrorKind.ProxyUnreachable"/> with an inner
    /// <see cref="System.Net.Sockets.SocketException"/> of <see cref="System.Net.Sockets.SocketError.TimedOut"/>,
    /// so a router falls back to its next proxy. Default <see cref="DefaultConnectTimeout"/> (10 s).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative and not <see cref="Timeout.InfiniteTimeSpan"/>.</exception>
    public TimeSpan ConnectTimeout
    {
        get => _connectTimeout;
        init => _connectTimeout = Check(value);
    }

    /// <summary>
    /// How long the SOCKS negotiation may take once the TCP connection to the first proxy is up: every
    /// hop's greeting, authentication (GSSAPI included) and request, up to the reply that grants the
    /// command. A proxy that accepts the connection and then says nothing fails with
    /// <see cref="SocksErrorKind.TimedOut"/> when it runs out. BIND's second reply (the peer's connection,
    /// <see cref="SocksBind.AcceptAsync"/>) is not bounded by it. Default <see cref="DefaultHandshakeTimeout"/> (30 s).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative and not <see cref="Timeout.InfiniteTimeSpan"/>.</exception>
    public TimeSpan HandshakeTimeout
    {
        get => _handshakeTimeout;
        init => _handshakeTimeout = Check(value);
    }

    /// <summary>
    /// How long to wait, after a SOCKS5 failure reply, for the reason text a Windsock server sends
    /// next (docs/protocol-extensions.md), which becomes <see cref="SocksException.Reason"/>. A Windsock
    /// server sends it at once and other servers close the connection, so the wait only lasts this long
    /// with a proxy that keeps the connection open after refusing. <see cref="TimeSpan.Zero"/> reads no
    /// reason at all. Default <see cref="DefaultDenialReasonTimeout"/> (500 ms).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative and not <see cref="Timeout.InfiniteTimeSpan"/>.</exception>
    public TimeSpan DenialReasonTimeout
    {
        get => _denialReasonTimeout;
        init => _denialReasonTimeout = value == TimeSpan.Zero ? value : Check(value);
    }

    /// <summary>
    /// Receives one debug-level entry per step (each hop's TCP connection, method, request and reply; for a
    /// router, the route chosen and each fallback). Null (the default) logs nothing and costs nothing.
    /// </summary>
    public ILogger? Logger { get; init; }

    private static TimeSpan Check(TimeSpan value, [System.Runtime.CompilerServices.CallerMemberName] string name = "")
    {
        if (value != Timeout.InfiniteTimeSpan && value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, "A time limit is positive, or Timeout.InfiniteTimeSpan for none.");
        }

        return value;
    }
}
