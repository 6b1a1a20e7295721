using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Windsock.Client;
using Windsock.Protocol.Socks5;
using Windsock.Server.Configuration;
using Windsock.Server.Logging;
using Windsock.Server.Metrics;

namespace Windsock.Server.Outbound;

/// <summary>
/// One upstream route while the server runs: its chains, each with its <see cref="ChainHealth"/>, and CONNECT
/// through them with the client library (<see cref="SocksClient"/> over a <see cref="ProxyChain"/>: the same code
/// <c>windsock connect</c> and the library's users run, not a second SOCKS client). Chains are tried in order,
/// skipping those that are down; when every one is down, all are tried, since waiting out a retry time would only
/// fail the request. A chain that fails passes the request on to the next one: a client notices an upstream only
/// when every chain of its route fails.
/// </summary>
public sealed class UpstreamRoute
{
    private readonly SocksClient[] _clients;

    /// <param name="options">The route as configured.</param>
    /// <param name="connectTimeout">server.connect_timeout: each hop's TCP connect, and each chain's whole handshake.</param>
    /// <param name="time">The server's clock, for the health state.</param>
    /// <param name="carried">The health of the same chains under the configuration before a reload, to keep; null: all up.</param>
    public UpstreamRoute(UpstreamRouteOptions options, TimeSpan connectTimeout, TimeProvider time, IReadOnlyList<ChainHealth>? carried = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        var clientOptions = new SocksClientOptions { ConnectTimeout = connectTimeout, HandshakeTimeout = connectTimeout };
        _clients = [.. options.Chains.Select(chain => new SocksClient(chain, clientOptions))];
        Health = carried ?? [.. options.Chains.Select(_ => new ChainHealth(options.MaxFailures, options.RetryTime, time))];
        Hops = [.. options.Chains.Select(UpstreamRouteOptions.Describe)];
    }

    public string Name => Options.Name;

    public UpstreamRouteOptions Options { get; }

    /// <summary>Per chain, in the route's order.</summary>
    public IReadOnlyList<ChainHealth> Health { get; }

    /// <summary>Per chain, its hops as the log shows them.</summary>
    public IReadOnlyList<string> Hops { get; }

    /// <summary>Whether <paramref name="other"/> configures the same chains with the same health settings, so its health state carries over.</summary>
    public bool SameChainsAs(UpstreamRouteOptions other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return other.Name == Name && other.MaxFailures == Options.MaxFailures && other.RetryTime == Options.RetryTime
            && other.Chains.Select(UpstreamRouteOptions.Describe).SequenceEqual(Hops, StringComparer.Ordinal);
    }

    /// <summary>CONNECT to <paramref name="destination"/> (an address, or a name the last hop resolves) through the first chain that gets through.</summary>
    /// <param name="destination">An <see cref="IPEndPoint"/> or a <see cref="DnsEndPoint"/>.</param>
    /// <param name="logger">Where chains going down and coming back are logged.</param>
    /// <param name="metrics">Upstream failures and failovers, by route.</param>
    /// <param name="cancellationToken">Session shutdown.</param>
    public async Task<ConnectResult> ConnectAsync(EndPoint destination, ILogger logger, ServerMetrics? metrics, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(logger);
        int[] order = [.. Enumerable.Range(0, _clients.Length).Where(i => Health[i].IsAvailable)];
        if (order.Length == 0)
        {
            order = [.. Enumerable.Range(0, _clients.Length)];
        }

        var failures = new List<string>(order.Length);
        foreach (int i in order)
        {
            if (failures.Count > 0)
            {
                metrics?.UpstreamFailedOver(Name);
            }

            try
            {
                Socket socket = await _clients[i].ConnectAsync(destination, cancellationToken).ConfigureAwait(false);
                Recovered(i, logger);
                return new ConnectResult(socket, socket.RemoteEndPoint as IPEndPoint, Socks5ReplyCode.Succeeded, null, Path: PathOf(i));
            }
            catch (SocksException e) when (e.Kind == SocksErrorKind.CommandFailed && e.HopIndex == _clients[i].Chain.Count - 1)
            {
                // The chain worked: its last hop answered for the destination. That answer is the client's.
                Recovered(i, logger);
                return new ConnectResult(null, null, DestinationReply(e), $"route {Name} chain {i + 1}: {e.Message}", Path: PathOf(i));
            }
            catch (Exception e) when (e is SocksException or SocketException or IOException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
            {
                string reason = e.Message;
                failures.Add($"chain {i + 1}: {reason}");
                metrics?.UpstreamFailed(Name);
                if (Health[i].Failed(reason))
                {
                    UpstreamLog.ChainDown(logger, Name, i + 1, Hops[i], Options.RetryTime.TotalSeconds, Health[i].Failures, reason);
                }
                else
                {
                    UpstreamLog.FailingOver(logger, Name, i + 1, Hops[i], reason);
                }
            }
        }

        return new ConnectResult(null, null, Socks5ReplyCode.GeneralFailure, $"route {Name}: no chain got through ({string.Join("; ", failures)})", Path: new OutboundPath { Route = Name });
    }

    private void Recovered(int chain, ILogger logger)
    {
        if (Health[chain].Succeeded())
        {
            UpstreamLog.ChainBack(logger, Name, chain + 1, Hops[chain]);
        }
    }

    private OutboundPath PathOf(int chain) => new() { Route = Name, Chain = chain + 1, Hops = Hops[chain] };

    /// <summary>The last hop's reply passed on: a SOCKS5 hop's code as it is; a SOCKS4 hop's 91 says no more than "failed".</summary>
    private static Socks5ReplyCode DestinationReply(SocksException e) =>
        e.Hop?.Protocol == SocksProtocol.Socks5 && e.ReplyCode is >= 1 and <= 8 ? (Socks5ReplyCode)e.ReplyCode.Value : Socks5ReplyCode.GeneralFailure;
}
