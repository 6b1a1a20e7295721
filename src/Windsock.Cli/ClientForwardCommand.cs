using System.Collections.Concurrent;
using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Windsock.Client;
using Windsock.Client.Routing;

namespace Windsock.Cli;

/// <summary>
/// <c>windsock forward --listen ADDR:PORT --to HOST:PORT [--udp] [--proxy URL]...</c>: a local port
/// that leads to HOST:PORT through the route. TCP: each accepted connection gets its own connection
/// through the route, relayed with half-close. UDP: one association (or, for a direct route, one
/// socket) per local client address, closed after --udp-idle without traffic.
/// </summary>
/// <remarks>
/// Prints "listening on ADDR:PORT" (with the real port when PORT is 0) on standard output once ready;
/// failures of single connections go to standard error, one line each, and the forwarder goes on.
/// Exit codes: 0 stopped by SIGTERM/Ctrl-C; 1 the route denies HOST:PORT, the routing file is wrong, or the port cannot be bound; 2 bad arguments.
/// </remarks>
internal static class ClientForwardCommand
{
    private const string Name = "forward";

    public static Command Create()
    {
        var listen = new Option<string>("--listen", "-l") { Description = "Local address and port, e.g. 127.0.0.1:5353 or [::1]:8080.", Required = true };
        var to = new Option<string>("--to", "-t") { Description = "Destination HOST:PORT, reached through the route.", Required = true };
        var udp = new Option<bool>("--udp") { Description = "Forward UDP datagrams (through SOCKS5 UDP ASSOCIATE) instead of TCP connections." };
        var idle = new Option<int>("--udp-idle")
        {
            Description = "Seconds without datagrams after which a local client's UDP association is closed.",
            DefaultValueFactory = _ => 60,
        };
        var proxy = ClientRouting.ProxyOption();
        var passwordFile = ClientRouting.PasswordFileOption();
        var verbose = ClientRouting.VerboseOption();
        var gssapi = new ClientRouting.GssapiOptions();
        var command = new Command(Name, "Listen on a local port and forward to HOST:PORT through the route (TCP, or UDP with --udp).")
        {
            listen,
            to,
            udp,
            idle,
            proxy,
            passwordFile,
            verbose,
        };
        gssapi.AddTo(command);
        command.SetAction((result, cancellationToken) => RunAsync(
            result.GetRequiredValue(listen),
            result.GetRequiredValue(to),
            result.GetValue(udp),
            result.GetValue(idle),
            result.GetValue(proxy),
            result.GetValue(passwordFile),
            gssapi.Read(result),
            result.GetValue(verbose),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string listenText, string toText, bool udp, int idleSeconds, string[]? proxies, FileInfo? passwordFile, SocksGssapiOptions? gssapi, bool verbose, CancellationToken cancellationToken)
    {
        TextWriter error = Console.Error;
        if (!IPEndPoint.TryParse(listenText, out IPEndPoint? listen) || !listenText.Contains(':', StringComparison.Ordinal))
        {
            await error.WriteLineAsync($"windsock {Name}: --listen \"{listenText}\" is not ADDRESS:PORT (IPv6 in brackets: [::1]:8080)").ConfigureAwait(false);
            return 2;
        }

        if (!ClientRouting.TryParseHostPort(toText, out string host, out int port) || port == 0)
        {
            await error.WriteLineAsync($"windsock {Name}: --to \"{toText}\" is not HOST:PORT").ConfigureAwait(false);
            return 2;
        }

        if (idleSeconds < 1)
        {
            await error.WriteLineAsync($"windsock {Name}: --udp-idle must be at least 1 second").ConfigureAwait(false);
            return 2;
        }

        Router? router = ClientRouting.Build(Name, proxies, verbose, error, gssapi, passwordFile);
        if (router is null)
        {
            return 1;
        }

        // The destination is fixed, so the route is too: a denial is reported now, not per connection.
        Route route = router.GetRoute(host, port);
        if (route.Action == RouteAction.Deny)
        {
            await error.WriteLineAsync($"windsock {Name}: {ClientRouting.Destination(host, port)} is denied by {route.Origin}").ConfigureAwait(false);
            return 1;
        }

        if (udp && route.Action == RouteAction.Via && !route.Proxies.Any(c => c.Count == 1 && c[0].Protocol == SocksProtocol.Socks5))
        {
            await error.WriteLineAsync($"windsock {Name}: UDP needs a single SOCKS5 proxy, and {route} has none").ConfigureAwait(false);
            return 1;
        }

        using var socket = new Socket(listen.AddressFamily, udp ? SocketType.Dgram : SocketType.Stream, udp ? ProtocolType.Udp : ProtocolType.Tcp);
        try
        {
            socket.Bind(listen);
            if (!udp)
            {
                socket.Listen(128);
            }
        }
        catch (SocketException e)
        {
            await error.WriteLineAsync($"windsock {Name}: cannot listen on {listen}: {e.Message}").ConfigureAwait(false);
            return 1;
        }

        var forwarder = new Forwarder(router, route, host, port, error, verbose);
        Console.Out.WriteLine($"listening on {socket.LocalEndPoint}{(udp ? " (udp)" : "")} for {ClientRouting.Destination(host, port)}, {route}");
        Console.Out.Flush();
        try
        {
            await (udp
                ? forwarder.ServeUdpAsync(socket, TimeSpan.FromSeconds(idleSeconds), cancellationToken)
                : forwarder.ServeTcpAsync(socket, cancellationToken)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        return 0;
    }

    private sealed class Forwarder(Router router, Route route, string host, int port, TextWriter error, bool verbose)
    {
        private readonly string _destination = ClientRouting.Destination(host, port);

        private Router Router => router;

        private Route Route => route;

        private string Host => host;

        private int Port => port;

        private bool Verbose => verbose;

        public async Task ServeTcpAsync(Socket listener, CancellationToken cancellationToken)
        {
            while (true)
            {
                Socket client = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
                _ = ForwardTcpAsync(client, cancellationToken);
            }
        }

        private async Task ForwardTcpAsync(Socket client, CancellationToken cancellationToken)
        {
            EndPoint? peer = client.RemoteEndPoint;
            await using var local = new NetworkStream(client, ownsSocket: true);
            Stream upstream;
            try
            {
                upstream = await router.ConnectStreamAsync(route, host, port, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocksException or SocketException or RouteDeniedException or IOException)
            {
                Report($"{peer}: {ClientRouting.Describe(e)}");
                return;
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await using (upstream)
            {
                if (verbose)
                {
                    Report($"{peer}: connected to {_destination}");
                }

                await ClientPipe.RelayAsync(local, upstream, cancellationToken).ConfigureAwait(false);
            }
        }

        public async Task ServeUdpAsync(Socket local, TimeSpan idle, CancellationToken cancellationToken)
        {
            var flows = new ConcurrentDictionary<EndPoint, UdpFlow>();
            using var sweeping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Task sweeper = SweepAsync(flows, idle, sweeping.Token);
            byte[] buffer = new byte[64 * 1024];
            EndPoint any = local.AddressFamily == AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
            try
            {
                while (true)
                {
                    SocketReceiveFromResult received;
                    try
                    {
                        received = await local.ReceiveFromAsync(buffer, SocketFlags.None, any, cancellationToken).ConfigureAwait(false);
                    }
                    catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize)
                    {
                        // ICMP port unreachable from an earlier reply to a client that went away, or an oversized datagram: not fatal.
                        continue;
                    }

                    EndPoint client = received.RemoteEndPoint;
                    UdpFlow flow = flows.GetOrAdd(client, c => new UdpFlow(this, local, c, cancellationToken));
                    flow.Send(buffer.AsSpan(0, received.ReceivedBytes).ToArray(), flows);
                }
            }
            finally
            {
                await sweeping.CancelAsync().ConfigureAwait(false);
                await sweeper.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                foreach (UdpFlow flow in flows.Values)
                {
                    await flow.DisposeAsync().ConfigureAwait(false);
                }
            }
        }

        private async Task SweepAsync(ConcurrentDictionary<EndPoint, UdpFlow> flows, TimeSpan idle, CancellationToken cancellationToken)
        {
            TimeSpan period = TimeSpan.FromTicks(Math.Clamp(idle.Ticks / 4, TimeSpan.TicksPerMillisecond * 200, TimeSpan.TicksPerSecond * 10));
            using var timer = new PeriodicTimer(period);
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                long now = Environment.TickCount64;
                foreach ((EndPoint client, UdpFlow flow) in flows)
                {
                    if (now - flow.LastActive > (long)idle.TotalMilliseconds && flows.TryRemove(new KeyValuePair<EndPoint, UdpFlow>(client, flow)))
                    {
                        if (verbose)
                        {
                            Report($"{client}: idle for {idle.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s, association closed");
                        }

                        await flow.DisposeAsync().ConfigureAwait(false);
                    }
                }
            }
        }

        private void Report(string line) => error.WriteLine($"windsock {Name}: {line}");

        /// <summary>One local client's way to the destination: a UDP association, or a plain UDP socket for a direct route.</summary>
        private sealed class UdpFlow : IAsyncDisposable
        {
            private readonly Forwarder _owner;
            private readonly Socket _local;
            private readonly EndPoint _client;
            private readonly CancellationTokenSource _stop;
            private readonly Task<(SocksUdpClient? Proxy, Socket? Direct)> _open;

            public UdpFlow(Forwarder owner, Socket local, EndPoint client, CancellationToken cancellationToken)
            {
                _owner = owner;
                _local = local;
                _client = client;
                _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                LastActive = Environment.TickCount64;
                _open = OpenAsync();
            }

            public long LastActive { get; private set; }

            /// <summary>Sends once the flow is open; a flow that cannot open reports once and is dropped, so the next datagram tries again.</summary>
            public void Send(byte[] payload, ConcurrentDictionary<EndPoint, UdpFlow> flows)
            {
                LastActive = Environment.TickCount64;
                _ = SendAsync(payload, flows);
            }

            private async Task SendAsync(byte[] payload, ConcurrentDictionary<EndPoint, UdpFlow> flows)
            {
                try
                {
                    (SocksUdpClient? proxy, Socket? direct) = await _open.ConfigureAwait(false);
                    if (proxy is not null)
                    {
                        await proxy.SendAsync(payload, _owner.Host, _owner.Port, _stop.Token).ConfigureAwait(false);
                    }
                    else
                    {
                        await direct!.SendAsync(payload, SocketFlags.None, _stop.Token).ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is SocksException or SocketException or IOException or NotSupportedException or ArgumentException)
                {
                    if (flows.TryRemove(new KeyValuePair<EndPoint, UdpFlow>(_client, this)))
                    {
                        _owner.Report($"{_client}: {ClientRouting.Describe(e)}");
                        await DisposeAsync().ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
                {
                }
            }

            private async Task<(SocksUdpClient?, Socket?)> OpenAsync()
            {
                if (_owner.Route.Action == RouteAction.Via)
                {
                    SocksUdpClient association = await _owner.Router.AssociateUdpAsync(_owner.Route, _stop.Token).ConfigureAwait(false);
                    if (_owner.Verbose)
                    {
                        _owner.Report($"{_client}: UDP association through {association.Proxy}, relay {association.RelayEndPoint}");
                    }

                    _ = PumpAsync(association);
                    return (association, null);
                }

                IPAddress[] addresses = IPAddress.TryParse(_owner.Host, out IPAddress? literal)
                    ? [literal]
                    : await Dns.GetHostAddressesAsync(_owner.Host, _stop.Token).ConfigureAwait(false);
                var direct = new Socket(addresses[0].AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                await direct.ConnectAsync(new IPEndPoint(addresses[0], _owner.Port), _stop.Token).ConfigureAwait(false);
                _ = PumpAsync(direct);
                return (null, direct);
            }

            private async Task PumpAsync(SocksUdpClient association)
            {
                byte[] buffer = new byte[64 * 1024];
                try
                {
                    while (true)
                    {
                        SocksUdpReceiveResult r = await association.ReceiveAsync(buffer, _stop.Token).ConfigureAwait(false);
                        LastActive = Environment.TickCount64;
                        await _local.SendToAsync(buffer.AsMemory(0, r.ReceivedBytes), SocketFlags.None, _client, _stop.Token).ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is SocksException or SocketException or IOException)
                {
                    _owner.Report($"{_client}: {ClientRouting.Describe(e)}");
                }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
                {
                }
            }

            private async Task PumpAsync(Socket direct)
            {
                byte[] buffer = new byte[64 * 1024];
                try
                {
                    while (true)
                    {
                        int n = await direct.ReceiveAsync(buffer, SocketFlags.None, _stop.Token).ConfigureAwait(false);
                        LastActive = Environment.TickCount64;
                        await _local.SendToAsync(buffer.AsMemory(0, n), SocketFlags.None, _client, _stop.Token).ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
                {
                }
            }

            public async ValueTask DisposeAsync()
            {
                await _stop.CancelAsync().ConfigureAwait(false);
                try
                {
                    (SocksUdpClient? proxy, Socket? direct) = await _open.ConfigureAwait(false);
                    if (proxy is not null)
                    {
                        await proxy.DisposeAsync().ConfigureAwait(false);
                    }

                    direct?.Dispose();
                }
                catch (Exception e) when (e is SocksException or SocketException or IOException or NotSupportedException or OperationCanceledException)
                {
                    // Never opened: nothing to close.
                }
            }
        }
    }
}
