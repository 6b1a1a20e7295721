using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Windsock.Policy;
using Windsock.Protocol;
using Windsock.Server.Configuration;
using Windsock.Protocol.Socks5;
using Windsock.Server.Limits;
using Windsock.Server.Metrics;
using Windsock.Server.Sessions;

namespace Windsock.Server.Outbound;

/// <summary>
/// Opens the server's side of a CONNECT: resolves a name with the system resolver (so /etc/hosts and
/// the site's own DNS apply, which is the point of server-side resolution), then tries each address in
/// the resolver's order until one connects, all within one deadline.
/// </summary>
public sealed class OutboundConnector
{
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;
    private readonly ServerMetrics? _metrics;
    private readonly OutsideAddresses _outside;
    private readonly UpstreamRoutes _routes;
    private readonly ILogger _logger;

    /// <param name="timeout">For all the addresses of one destination together.</param>
    /// <param name="time">The server's clock.</param>
    /// <param name="metrics">Connect latency and outcomes, when metrics are on.</param>
    /// <param name="outside">The [outside] addresses: the source of each connection in its family, when set.</param>
    /// <param name="routes">The upstream routes rules' via name.</param>
    /// <param name="logger">Where upstream chains going down and back are logged.</param>
    public OutboundConnector(TimeSpan timeout, TimeProvider time, ServerMetrics? metrics = null, OutsideAddresses? outside = null, UpstreamRoutes? routes = null, ILogger? logger = null)
    {
        _timeout = timeout;
        _time = time;
        _metrics = metrics;
        _outside = outside ?? OutsideAddresses.None;
        _routes = routes ?? UpstreamRoutes.None;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <param name="destination">The address, or the name to resolve.</param>
    /// <param name="addressCheck">
    /// Asked for each address before connecting to it (the access rules decide on the address really
    /// connected to, so a name cannot lead around a rule); a denied address is skipped.
    /// </param>
    /// <param name="cancellationToken">Session shutdown.</param>
    /// <param name="decidedBy">
    /// The rule that allowed the request when it was decided up front (without waiting for an address): its via sends
    /// the destination as the client gave it (a name stays a name, for the last hop to resolve) through a route, and
    /// its source is where a direct connection leaves from. A rule decided per address (<paramref name="addressCheck"/>)
    /// is asked the same for that address.
    /// </param>
    public async Task<ConnectResult> ConnectAsync(SocksEndpoint destination, Func<IPAddress, Decision>? addressCheck, CancellationToken cancellationToken, AccessRule? decidedBy = null)
    {
        if (decidedBy?.Via is { } via && _routes.Find(via) is { } route)
        {
            // Routes connect and negotiate through their upstream proxies: off the handshake loop first.
            await HandshakeLoop.LeaveAsync();
            EndPoint target = destination.Address is { } literal ? new IPEndPoint(literal, destination.Port) : new DnsEndPoint(destination.Host!, destination.Port);
            return await route.ConnectAsync(target, _logger, _metrics, cancellationToken).ConfigureAwait(false);
        }

        using var deadline = new CancellationTokenSource(_timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        var token = linked.Token;

        IPAddress[] addresses;
        if (destination.Address is { } address)
        {
            addresses = [address];
        }
        else
        {
            // The system resolver may block (getaddrinfo): off the handshake loop first.
            await HandshakeLoop.LeaveAsync();
            var lookup = await NameLookup.ResolveAsync(destination.Host!, _timeout, deadline.Token, cancellationToken, _metrics).ConfigureAwait(false);
            if (!lookup.Succeeded)
            {
                return ConnectResult.Failure(lookup.Code, lookup.Failure!);
            }

            addresses = lookup.Addresses;
        }

        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        var result = await ConnectToAnyAsync(destination, addresses, addressCheck, decidedBy, deadline, token, cancellationToken).ConfigureAwait(false);
        if (result.Denial is null && result.Path?.Route is null)
        {
            _metrics?.Connected(Outcome(result.Code), System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }

        return result;
    }

    private async Task<ConnectResult> ConnectToAnyAsync(SocksEndpoint destination, IPAddress[] addresses, Func<IPAddress, Decision>? addressCheck, AccessRule? decidedBy, CancellationTokenSource deadline, CancellationToken token, CancellationToken cancellationToken)
    {
        var failure = ConnectResult.Failure(Socks5ReplyCode.GeneralFailure, "no address tried");
        Decision? denial = null;
        bool anyAllowed = false;
        foreach (var candidate in addresses)
        {
            var target = new IPEndPoint(candidate.IsIPv4MappedToIPv6 ? candidate.MapToIPv4() : candidate, destination.Port);
            AccessRule? rule = decidedBy;
            if (addressCheck?.Invoke(target.Address) is { } decision)
            {
                if (!decision.IsAllowed)
                {
                    denial = decision;
                    continue;
                }

                rule = decision.Rule;
            }

            anyAllowed = true;
            if (rule?.Via is { } via && _routes.Find(via) is { } route)
            {
                // Decided on this address: the route is asked for the address, not the name, so the rules held for what is reached.
                await HandshakeLoop.LeaveAsync();
                return await route.ConnectAsync(target, _logger, _metrics, cancellationToken).ConfigureAwait(false);
            }

            Socket socket;
            try
            {
                socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
            {
                return OutOfDescriptors(target);
            }

            if (DescriptorHeadroom.LevelOf(socket) == DescriptorLevel.Exhausted)
            {
                // The last descriptors are the runtime's (threads, assembly loads): this session fails, the process stays.
                socket.Dispose();
                return OutOfDescriptors(target);
            }

            try
            {
                IPAddress? ruleSource = rule?.Sources.FirstOrDefault(s => s.AddressFamily == target.AddressFamily);
                if ((ruleSource ?? _outside.For(target.AddressFamily)) is { } source)
                {
                    socket.Bind(new IPEndPoint(source, 0));
                }

                await LoopConnect.ConnectAsync(socket, target, token).ConfigureAwait(false);
                return ruleSource is null ? ConnectResult.Success(socket, target) : ConnectResult.Success(socket, target) with { Path = new OutboundPath { Source = ruleSource } };
            }
            catch (SocketException e)
            {
                socket.Dispose();
                failure = ConnectResult.Failure(MapError(e.SocketErrorCode), $"connect to {target} failed: {Describe(e.SocketErrorCode)}");
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                socket.Dispose();
                return ConnectResult.Failure(Socks5ReplyCode.TtlExpired, $"connect to {target} timed out after {_timeout.TotalSeconds:0.#}s");
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        return anyAllowed || denial is null ? failure : ConnectResult.Denied(denial);
    }

    /// <summary>windsock_connect_duration_seconds's outcome label for a reply code.</summary>
    private static string Outcome(Socks5ReplyCode code) => code switch
    {
        Socks5ReplyCode.Succeeded => "ok",
        Socks5ReplyCode.ConnectionRefused => "refused",
        Socks5ReplyCode.NetworkUnreachable or Socks5ReplyCode.HostUnreachable => "unreachable",
        Socks5ReplyCode.TtlExpired => "timeout",
        _ => "failed",
    };

    private static ConnectResult OutOfDescriptors(IPEndPoint target) =>
        ConnectResult.Failure(Socks5ReplyCode.GeneralFailure, $"connect to {target} not tried: the server is out of file descriptors");

    /// <summary>The RFC 1928 reply code that tells the client most truthfully what went wrong.</summary>
    public static Socks5ReplyCode MapError(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => Socks5ReplyCode.ConnectionRefused,
        SocketError.NetworkUnreachable or SocketError.NetworkDown or SocketError.AddressFamilyNotSupported
            or SocketError.AddressNotAvailable => Socks5ReplyCode.NetworkUnreachable,
        SocketError.HostUnreachable or SocketError.HostDown or SocketError.HostNotFound or SocketError.NoData => Socks5ReplyCode.HostUnreachable,
        SocketError.TimedOut => Socks5ReplyCode.TtlExpired,
        SocketError.AccessDenied => Socks5ReplyCode.NotAllowedByRuleset,
        _ => Socks5ReplyCode.GeneralFailure,
    };

    private static string Describe(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.NetworkUnreachable => "network unreachable",
        SocketError.HostUnreachable => "host unreachable",
        SocketError.TimedOut => "timed out",
        _ => error.ToString(),
    };
}
