using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Windsock.Client.Handshake;

namespace Windsock.Client.Routing;

/// <summary>
/// Decides per destination whether to deny, connect directly or go through proxies, and connects
/// accordingly: the successor of <c>/etc/socks.conf</c>. Rules are ordered and the first match wins;
/// with a routing file, <b>no match means deny</b> (as socks.conf did), so a forgotten case fails
/// loudly instead of leaking around the proxy. Proxies of a rule are tried in order: the next is tried
/// only when one cannot be reached at all (refused, timed out, name unknown), never after a proxy
/// answered — a SOCKS refusal is the proxy's decision and is reported as such.
/// </summary>
public sealed class Router
{
    /// <summary>Tried in order by <see cref="FromEnvironment()"/>; the first that exists is used.</summary>
    public const string ConfigVariable = "WINDSOCK_CLIENT_CONFIG";

    private readonly RoutingRule[] _rules;
    private readonly Route? _fixed;

    private Router(string source, IEnumerable<RoutingRule> rules, Route? fixedRoute)
    {
        Source = source;
        _rules = [.. rules];
        _fixed = fixedRoute;
    }

    /// <summary>Where the routes come from: the file's path, "ALL_PROXY", "--proxy", or "no routing file".</summary>
    public string Source { get; }

    /// <summary>The rules of the routing file, in order; empty when the routes come from elsewhere.</summary>
    public IReadOnlyList<RoutingRule> Rules => _rules;

    /// <summary>How long one TCP connection attempt (to a proxy, or direct) may take before it counts as unreachable. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Receives one line per step (the route chosen, each hop's negotiation, fallbacks), e.g. for --verbose.</summary>
    public Action<string>? Log { get; set; }

    /// <summary>Reads a routing file; a <see cref="RoutingFileException"/> names file, line and column of the first problem.</summary>
    public static Router Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return new Router(path, RoutingFile.Load(path), null);
    }

    /// <summary>Reads routing rules from text; <paramref name="fileName"/> is used in positions and origins.</summary>
    public static Router Parse(string text, string fileName) => new(fileName, RoutingFile.Parse(text, fileName), null);

    /// <summary>Everything through <paramref name="chain"/> (the <c>--proxy</c> options).</summary>
    public static Router Through(ProxyChain chain, string source = "--proxy")
    {
        ArgumentNullException.ThrowIfNull(chain);
        return new Router(source, [], Route.Via([chain], source));
    }

    /// <summary>Everything directly, no proxy.</summary>
    public static Router Direct(string source = "no routing file") => new(source, [], Route.Direct(source));

    /// <summary>
    /// The routing file from <c>$WINDSOCK_CLIENT_CONFIG</c>, else <c>~/.config/windsock/client.toml</c>
    /// (<c>$XDG_CONFIG_HOME</c> when set), else <c>/etc/windsock/client.toml</c>. When none exists:
    /// <c>ALL_PROXY</c> (or <c>all_proxy</c>) with a socks4/socks4a/socks5/socks5h URL sends everything
    /// through that proxy; without it everything goes directly.
    /// </summary>
    public static Router FromEnvironment() => FromEnvironment(Environment.GetEnvironmentVariable, File.Exists);

    internal static Router FromEnvironment(Func<string, string?> variable, Func<string, bool> exists)
    {
        string? named = variable(ConfigVariable);
        if (!string.IsNullOrEmpty(named))
        {
            // Named on purpose: a missing file is an error, not a silent fall back to direct.
            return Load(named);
        }

        foreach (string candidate in DefaultLocations(variable))
        {
            if (exists(candidate))
            {
                return Load(candidate);
            }
        }

        foreach (string name in (string[])["ALL_PROXY", "all_proxy"])
        {
            string? url = variable(name);
            if (!string.IsNullOrWhiteSpace(url))
            {
                try
                {
                    return Through(new ProxyChain(RoutingFile.ParseProxyUrl(url.Trim())), name);
                }
                catch (FormatException e)
                {
                    // Going direct instead would silently bypass the proxy the user asked for.
                    throw new RoutingFileException(name, 0, 0, e.Message, e);
                }
            }
        }

        return Direct();
    }

    /// <summary>The candidate routing files, in the order they are looked for.</summary>
    internal static IEnumerable<string> DefaultLocations(Func<string, string?> variable)
    {
        string? configHome = variable("XDG_CONFIG_HOME");
        string? home = variable("HOME");
        if (!string.IsNullOrEmpty(configHome))
        {
            yield return Path.Combine(configHome, "windsock", "client.toml");
        }
        else if (!string.IsNullOrEmpty(home))
        {
            yield return Path.Combine(home, ".config", "windsock", "client.toml");
        }

        yield return "/etc/windsock/client.toml";
    }

    /// <summary>The decision for <paramref name="host"/> (a name or an address) and <paramref name="port"/>: the first rule that matches, else deny.</summary>
    public Route Resolve(string host, int port)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        if (_fixed is not null)
        {
            return _fixed;
        }

        foreach (RoutingRule rule in _rules)
        {
            if (rule.Matches(host, port))
            {
                return rule.Route;
            }
        }

        return Route.Deny($"no rule in {Source} matched, and no match denies");
    }

    /// <summary>
    /// <see cref="Resolve"/> with its reasons: each rule in order, why it did or did not match, and the
    /// deciding rule. The route is the one <see cref="Resolve"/> returns.
    /// </summary>
    public RouteExplanation Explain(string host, int port)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        string destination = Destination.Format(host, port);
        if (_fixed is not null)
        {
            return new RouteExplanation(destination, Source, _fixed, null, []);
        }

        var traces = new List<RoutingRuleTrace>(_rules.Length);
        RoutingRule? decidedBy = null;
        foreach (RoutingRule rule in _rules)
        {
            if (decidedBy is not null)
            {
                traces.Add(new RoutingRuleTrace(rule, RoutingRuleResult.NotReached, string.Empty));
                continue;
            }

            bool matched = rule.Explain(host, port, out string reason);
            traces.Add(new RoutingRuleTrace(rule, matched ? RoutingRuleResult.Matched : RoutingRuleResult.NotMatched, reason));
            if (matched)
            {
                decidedBy = rule;
            }
        }

        return new RouteExplanation(destination, Source, decidedBy?.Route ?? Resolve(host, port), decidedBy, traces);
    }

    /// <summary>
    /// Connects to <paramref name="host"/>:<paramref name="port"/> the way <see cref="Resolve"/> says.
    /// Throws <see cref="RouteDeniedException"/> for a denied destination, <see cref="SocksException"/>
    /// for a proxy failure (the last proxy's when none could be reached), <see cref="SocketException"/>
    /// for a failed direct connection.
    /// </summary>
    public Task<Socket> ConnectAsync(string host, int port, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        return ConnectAsync(Resolve(host, port), host, port, cancellationToken);
    }

    /// <summary>As <see cref="ConnectAsync(string, int, CancellationToken)"/> with a route already decided.</summary>
    /// <exception cref="InvalidOperationException">The route's proxy protects the data with GSSAPI: use <see cref="ConnectStreamAsync(Route, string, int, CancellationToken)"/>.</exception>
    public Task<Socket> ConnectAsync(Route route, string host, int port, CancellationToken cancellationToken = default) =>
        ConnectCoreAsync(route, host, port, Task.FromResult, client => client.ConnectAsync(ToEndPoint(host, port), cancellationToken), cancellationToken);

    /// <summary>
    /// As <see cref="ConnectAsync(string, int, CancellationToken)"/>, as a stream that owns the connection:
    /// a <see cref="NetworkStream"/>, or a <see cref="GssapiStream"/> through a proxy that protects the data with GSSAPI.
    /// </summary>
    public Task<Stream> ConnectStreamAsync(string host, int port, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        return ConnectStreamAsync(Resolve(host, port), host, port, cancellationToken);
    }

    /// <summary>As <see cref="ConnectStreamAsync(string, int, CancellationToken)"/> with a route already decided.</summary>
    public Task<Stream> ConnectStreamAsync(Route route, string host, int port, CancellationToken cancellationToken = default) =>
        ConnectCoreAsync<Stream>(route, host, port, socket => Task.FromResult<Stream>(new NetworkStream(socket, ownsSocket: true)), client => client.ConnectStreamAsync(ToEndPoint(host, port), cancellationToken), cancellationToken);

    private static EndPoint ToEndPoint(string host, int port) =>
        Destination.TryParseAddress(host, out IPAddress? address) ? new IPEndPoint(address, port) : new DnsEndPoint(host, port);

    private async Task<T> ConnectCoreAsync<T>(Route route, string host, int port, Func<Socket, Task<T>> direct, Func<SocksClient, Task<T>> viaProxy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        string destination = Destination.Format(host, port);
        Action<string>? previous = ClientTrace.Current;
        ClientTrace.Current = Log;
        try
        {
            Log?.Invoke($"{destination}: {route}");
            switch (route.Action)
            {
                case RouteAction.Deny:
                    throw new RouteDeniedException(route, destination);
                case RouteAction.Direct:
                    return await direct(await ConnectDirectAsync(host, port, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
                default:
                    return await WithFallbackAsync(route, viaProxy, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ClientTrace.Current = previous;
        }
    }

    /// <summary>
    /// The address of <paramref name="host"/> the way the routing rules say (decided as
    /// <paramref name="host"/> with port 0, so rules with a port list do not match): through a proxy,
    /// with <see cref="SocksClient.ResolveAsync"/> and the same fallback as connections; direct, with
    /// the system resolver here. IPv4 is preferred when the name has both, as Tor and Windsock answer RESOLVE.
    /// Throws <see cref="RouteDeniedException"/>, <see cref="SocksException"/> or <see cref="SocketException"/>.
    /// </summary>
    public async Task<IPAddress> ResolveNameAsync(string host, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        Route route = Resolve(host, 0);
        return await LookUpAsync(
            route,
            host,
            async () => PreferIPv4(Destination.TryParseAddress(host, out IPAddress? literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false)),
            client => client.ResolveAsync(host, cancellationToken),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The name of <paramref name="address"/> (a reverse lookup) the way the routing rules say for that
    /// address: through a proxy with <see cref="SocksClient.ResolvePtrAsync"/>, direct with the system resolver.
    /// </summary>
    public async Task<string> ResolveAddressAsync(IPAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        string host = address.ToString();
        Route route = Resolve(host, 0);
        return await LookUpAsync(
            route,
            host,
            async () => (await Dns.GetHostEntryAsync(address).WaitAsync(cancellationToken).ConfigureAwait(false)).HostName,
            client => client.ResolvePtrAsync(address, cancellationToken),
            cancellationToken).ConfigureAwait(false);
    }

    private async Task<T> LookUpAsync<T>(Route route, string host, Func<Task<T>> direct, Func<SocksClient, Task<T>> viaProxy, CancellationToken cancellationToken)
    {
        Action<string>? previous = ClientTrace.Current;
        ClientTrace.Current = Log;
        try
        {
            Log?.Invoke($"lookup of {host}: {route}");
            return route.Action switch
            {
                RouteAction.Deny => throw new RouteDeniedException(route, host),
                RouteAction.Direct => await direct().ConfigureAwait(false),
                _ => await WithFallbackAsync(route, viaProxy, cancellationToken).ConfigureAwait(false),
            };
        }
        finally
        {
            ClientTrace.Current = previous;
        }
    }

    private static IPAddress PreferIPv4(IPAddress[] addresses)
    {
        var normalized = addresses.Select(a => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a).ToArray();
        return normalized.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? normalized.FirstOrDefault()
            ?? throw new SocketException((int)SocketError.HostNotFound);
    }

    /// <summary>
    /// A UDP association for a <see cref="RouteAction.Via"/> route, with the same fallback as
    /// <see cref="ConnectAsync(Route, string, int, CancellationToken)"/>. Proxies that cannot carry UDP
    /// (a chain, SOCKS4) are skipped; if none can, <see cref="NotSupportedException"/>.
    /// </summary>
    public async Task<SocksUdpClient> AssociateUdpAsync(Route route, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(route);
        if (route.Action != RouteAction.Via)
        {
            throw new ArgumentException($"UDP ASSOCIATE needs a route via proxies, not {route}.", nameof(route));
        }

        ProxyChain[] usable = [.. route.Proxies.Where(c => c.Count == 1 && c[0].Protocol == SocksProtocol.Socks5)];
        if (usable.Length == 0)
        {
            throw new NotSupportedException($"UDP needs a single SOCKS5 proxy; {route} has none.");
        }

        Action<string>? previous = ClientTrace.Current;
        ClientTrace.Current = Log;
        try
        {
            Route udpRoute = usable.Length == route.Proxies.Count ? route : Route.Via(usable, route.Origin);
            return await WithFallbackAsync(udpRoute, client => client.AssociateUdpAsync(cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ClientTrace.Current = previous;
        }
    }

    private async Task<T> WithFallbackAsync<T>(Route route, Func<SocksClient, Task<T>> open, CancellationToken cancellationToken)
    {
        for (int i = 0; ; i++)
        {
            ProxyChain chain = route.Proxies[i];
            var client = new SocksClient(chain) { ProxyConnectTimeout = ConnectTimeout };
            try
            {
                return await open(client).ConfigureAwait(false);
            }
            catch (SocksException e) when (e.Kind == SocksErrorKind.ProxyUnreachable && e.HopIndex == 0 && i + 1 < route.Proxies.Count)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Log?.Invoke($"{chain[0]} unreachable ({e.InnerException?.Message ?? e.Message}); trying {route.Proxies[i + 1]}");
            }
        }
    }

    private async Task<Socket> ConnectDirectAsync(string host, int port, CancellationToken cancellationToken)
    {
        IPAddress[] addresses = Destination.TryParseAddress(host, out IPAddress? literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        SocketException? first = null;
        foreach (IPAddress address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(ConnectTimeout);
            var endPoint = new IPEndPoint(address, port);
            try
            {
                await socket.ConnectAsync(endPoint, attempt.Token).ConfigureAwait(false);
                Log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"direct TCP connection to {endPoint} from {socket.LocalEndPoint}"));
                return socket;
            }
            catch (SocketException e)
            {
                socket.Dispose();
                Log?.Invoke($"direct {endPoint}: {e.Message}");
                first ??= e;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                socket.Dispose();
                Log?.Invoke($"direct {endPoint}: timed out");
                first ??= new SocketException((int)SocketError.TimedOut);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw first ?? new SocketException((int)SocketError.HostNotFound);
    }
}
