using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Windsock.Client.Routing;

/// <summary>
/// Decides per destination whether to deny, connect directly or go through proxies, and connects
/// accordingly: the successor of <c>/etc/socks.conf</c>. Rules are ordered and the first match wins;
/// with a routing file, <b>no match means deny</b> (as socks.conf did), so a forgotten case fails
/// loudly instead of leaking around the proxy. Proxies of a rule are tried in order: the next is tried
/// only when one cannot be reached at all (refused, timed out, name unknown), never after a proxy
/// answered — a SOCKS refusal is the proxy's decision and is reported as such.
/// </summary>
public sealed partial class Router
{
    /// <summary>
    /// The environment variable that names the routing file for <see cref="FromEnvironment()"/>; when set, it
    /// wins over the default locations, and a file it names that does not exist is an error.
    /// </summary>
    public const string RoutingFileVariable = "WINDSOCK_CLIENT_CONFIG";

    private const string NoRoutingFile = "no routing file";
    private SocksClientOptions _options = SocksClientOptions.Default;

    private readonly RoutingRule[] _rules;
    private readonly Route? _fixed;

    private Router(string source, IEnumerable<RoutingRule> rules, Route? fixedRoute)
    {
        Source = source;
        _rules = [.. rules];
        _fixed = fixedRoute;
    }

    /// <summary>
    /// Where the routes come from, for messages: the routing file's path, "ALL_PROXY", "no routing file", or
    /// the source given to <see cref="Through(ProxyChain, string)"/> and <see cref="Direct(string)"/>.
    /// </summary>
    public string Source { get; }

    /// <summary>The rules of the routing file, in order; empty when the routes come from elsewhere.</summary>
    public IReadOnlyList<RoutingRule> Rules => _rules;

    /// <summary>
    /// The time limits and logger of every connection the router opens: <see cref="SocksClientOptions.ConnectTimeout"/>
    /// bounds each TCP connection attempt, to a proxy or direct, after which the next proxy of the route is
    /// tried. The logger gets the route chosen, each fallback, and each hop's negotiation. Default:
    /// <see cref="SocksClientOptions.Default"/>. Set it before the router is shared.
    /// </summary>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    public SocksClientOptions Options
    {
        get => _options;
        set => _options = value ?? throw new ArgumentNullException(nameof(value));
    }

    private ILogger? Logger => _options.Logger;

    /// <summary>Reads a routing file.</summary>
    /// <param name="path">The routing file.</param>
    /// <returns>A router with the file's rules.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null, empty or white space.</exception>
    /// <exception cref="RoutingFileException">The file cannot be read or has a problem; the message names file, line and column of the first.</exception>
    public static Router Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return new Router(path, RoutingFile.Load(path), null);
    }

    /// <summary>Reads routing rules from text.</summary>
    /// <param name="text">The routing file's TOML.</param>
    /// <param name="fileName">The name used in positions and origins.</param>
    /// <returns>A router with the rules.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> or <paramref name="fileName"/> is null.</exception>
    /// <exception cref="RoutingFileException">The text has a problem; the message names line and column of the first.</exception>
    public static Router Parse(string text, string fileName) => new(fileName, RoutingFile.Parse(text, fileName), null);

    /// <summary>A router that sends everything through <paramref name="chain"/>; its <see cref="Source"/> is the chain.</summary>
    /// <param name="chain">The proxies for every destination.</param>
    /// <returns>A router without rules.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="chain"/> is null.</exception>
    public static Router Through(ProxyChain chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        return Through(chain, chain.ToString());
    }

    /// <summary>A router that sends everything through <paramref name="chain"/>, with <paramref name="source"/> saying where that came from (e.g. a command-line option).</summary>
    /// <param name="chain">The proxies for every destination.</param>
    /// <param name="source">Where the chain came from, for messages and <see cref="Route.Origin"/>.</param>
    /// <returns>A router without rules.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="chain"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="source"/> is null, empty or white space.</exception>
    public static Router Through(ProxyChain chain, string source)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        return new Router(source, [], Route.Via([chain], source));
    }

    /// <summary>A router that connects everything directly, without a proxy; its <see cref="Source"/> is "direct".</summary>
    /// <returns>A router without rules.</returns>
    public static Router Direct() => Direct("direct");

    /// <summary>A router that connects everything directly, with <paramref name="source"/> saying why.</summary>
    /// <param name="source">Why everything goes direct, for messages and <see cref="Route.Origin"/>.</param>
    /// <returns>A router without rules.</returns>
    /// <exception cref="ArgumentException"><paramref name="source"/> is null, empty or white space.</exception>
    public static Router Direct(string source) => new(source, [], Route.Direct(source));

    /// <summary>
    /// The routing file from <c>$WINDSOCK_CLIENT_CONFIG</c>, else <c>~/.config/windsock/client.toml</c>
    /// (<c>$XDG_CONFIG_HOME</c> when set), else <c>/etc/windsock/client.toml</c>. When none exists:
    /// <c>ALL_PROXY</c> (or <c>all_proxy</c>) with a socks4/socks4a/socks5/socks5h URL sends everything
    /// through that proxy; without it everything goes directly (<see cref="Source"/> "no routing file").
    /// </summary>
    /// <returns>The router the environment describes.</returns>
    /// <exception cref="RoutingFileException">The routing file found cannot be used, the one <see cref="RoutingFileVariable"/> names does not exist, or ALL_PROXY is not a SOCKS URL.</exception>
    public static Router FromEnvironment() => FromEnvironment(Environment.GetEnvironmentVariable, File.Exists);

    internal static Router FromEnvironment(Func<string, string?> variable, Func<string, bool> exists)
    {
        string? named = variable(RoutingFileVariable);
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
                    return Through(new ProxyChain(RoutingFile.ParseProxyUrl(url.Trim(), Directory.GetCurrentDirectory(), variable, userFromEnvironment: true)), name);
                }
                catch (FormatException e)
                {
                    // Going direct instead would silently bypass the proxy the user asked for.
                    throw new RoutingFileException(name, 0, 0, e.Message, e);
                }
            }
        }

        return Direct(NoRoutingFile);
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

    /// <summary>The routing decision for <paramref name="host"/> and <paramref name="port"/>: the first rule that matches, else deny. Nothing is sent anywhere.</summary>
    /// <param name="host">A name or an address literal, IPv6 with or without brackets.</param>
    /// <param name="port">The destination port.</param>
    /// <returns>The route: deny, direct, or via proxies.</returns>
    /// <exception cref="ArgumentException"><paramref name="host"/> is null, empty or white space.</exception>
    public Route GetRoute(string host, int port)
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
    /// <see cref="GetRoute"/> with its reasons: each rule in order, why it did or did not match, and the
    /// deciding rule. The route is the one <see cref="GetRoute"/> returns.
    /// </summary>
    /// <param name="host">A name or an address literal, IPv6 with or without brackets.</param>
    /// <param name="port">The destination port.</param>
    /// <returns>The route and every rule's part in it.</returns>
    /// <exception cref="ArgumentException"><paramref name="host"/> is null, empty or white space.</exception>
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

        return new RouteExplanation(destination, Source, decidedBy?.Route ?? GetRoute(host, port), decidedBy, traces);
    }

    /// <summary>Connects to <paramref name="host"/>:<paramref name="port"/> the way <see cref="GetRoute"/> says.</summary>
    /// <param name="host">A name or an address literal.</param>
    /// <param name="port">The destination's TCP port.</param>
    /// <param name="cancellationToken">Cancels the connection attempt.</param>
    /// <returns>A socket connected to the destination, directly or through the route's proxies; the caller owns it.</returns>
    /// <exception cref="ArgumentException"><paramref name="host"/> is null, empty or white space.</exception>
    /// <exception cref="RouteDeniedException">The routing file denies the destination; nothing was sent.</exception>
    /// <exception cref="SocksException">A proxy failed (the last proxy's failure when none could be reached).</exception>
    /// <exception cref="SocketException">A direct connection failed.</exception>
    /// <exception cref="InvalidOperationException">The route's proxy protects the data with GSSAPI: use <see cref="ConnectStreamAsync(string, int, CancellationToken)"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<Socket> ConnectAsync(string host, int port, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        return ConnectAsync(GetRoute(host, port), host, port, cancellationToken);
    }

    /// <summary>As <see cref="ConnectAsync(string, int, CancellationToken)"/> with a route already decided.</summary>
    /// <param name="route">The route to take, e.g. from <see cref="GetRoute"/>.</param>
    /// <param name="host">A name or an address literal.</param>
    /// <param name="port">The destination's TCP port.</param>
    /// <param name="cancellationToken">Cancels the connection attempt.</param>
    /// <returns>A socket connected to the destination; the caller owns it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="route"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="host"/> is null, empty or white space.</exception>
    /// <exception cref="RouteDeniedException">The route denies; nothing was sent.</exception>
    /// <exception cref="SocksException">A proxy failed.</exception>
    /// <exception cref="SocketException">A direct connection failed.</exception>
    /// <exception cref="InvalidOperationException">The route's proxy protects the data with GSSAPI: use <see cref="ConnectStreamAsync(Route, string, int, CancellationToken)"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<Socket> ConnectAsync(Route route, string host, int port, CancellationToken cancellationToken = default) =>
        ConnectCoreAsync(route, host, port, Task.FromResult, client => client.ConnectAsync(ToEndPoint(host, port), cancellationToken), cancellationToken);

    /// <summary>
    /// As <see cref="ConnectAsync(string, int, CancellationToken)"/>, as a stream that owns the connection:
    /// a <see cref="NetworkStream"/>, or a <see cref="GssapiStream"/> through a proxy that protects the data with GSSAPI.
    /// </summary>
    /// <param name="host">A name or an address literal.</param>
    /// <param name="port">The destination's TCP port.</param>
    /// <param name="cancellationToken">Cancels the connection attempt.</param>
    /// <returns>A stream to the destination; disposing it closes the connection.</returns>
    /// <exception cref="ArgumentException"><paramref name="host"/> is null, empty or white space.</exception>
    /// <exception cref="RouteDeniedException">The routing file denies the destination; nothing was sent.</exception>
    /// <exception cref="SocksException">A proxy failed.</exception>
    /// <exception cref="SocketException">A direct connection failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<Stream> ConnectStreamAsync(string host, int port, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        return ConnectStreamAsync(GetRoute(host, port), host, port, cancellationToken);
    }

    /// <summary>As <see cref="ConnectStreamAsync(string, int, CancellationToken)"/> with a route already decided.</summary>
    /// <param name="route">The route to take, e.g. from <see cref="GetRoute"/>.</param>
    /// <param name="host">A name or an address literal.</param>
    /// <param name="port">The destination's TCP port.</param>
    /// <param name="cancellationToken">Cancels the connection attempt.</param>
    /// <returns>A stream to the destination; disposing it closes the connection.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="route"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="host"/> is null, empty or white space.</exception>
    /// <exception cref="RouteDeniedException">The route denies; nothing was sent.</exception>
    /// <exception cref="SocksException">A proxy failed.</exception>
    /// <exception cref="SocketException">A direct connection failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<Stream> ConnectStreamAsync(Route route, string host, int port, CancellationToken cancellationToken = default) =>
        ConnectCoreAsync<Stream>(route, host, port, socket => Task.FromResult<Stream>(new NetworkStream(socket, ownsSocket: true)), client => client.ConnectStreamAsync(ToEndPoint(host, port), cancellationToken), cancellationToken);

    private static EndPoint ToEndPoint(string host, int port) =>
        Destination.TryParseAddress(host, out IPAddress? address) ? new IPEndPoint(address, port) : new DnsEndPoint(host, port);

    private async Task<T> ConnectCoreAsync<T>(Route route, string host, int port, Func<Socket, Task<T>> direct, Func<SocksClient, Task<T>> viaProxy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        string destination = Destination.Format(host, port);
        LogStep($"{destination}: {route}");
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

    /// <summary>
    /// The address of <paramref name="host"/> the way the routing rules say (decided as
    /// <paramref name="host"/> with port 0, so rules with a port list do not match): through a proxy,
    /// with <see cref="SocksClient.ResolveNameAsync"/> and the same fallback as connections; direct, with
    /// the system resolver here. IPv4 is preferred when the name has both, as Tor and Windsock answer RESOLVE.
    /// </summary>
    /// <param name="host">The name to resolve.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The address.</returns>
    /// <exception cref="ArgumentException"><paramref name="host"/> is null, empty or white space.</exception>
    /// <exception cref="RouteDeniedException">The routing file denies the name.</exception>
    /// <exception cref="SocksException">A proxy refused or failed the lookup.</exception>
    /// <exception cref="SocketException">A direct lookup failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<IPAddress> ResolveNameAsync(string host, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        Route route = GetRoute(host, 0);
        return await LookUpAsync(
            route,
            host,
            async () => PreferIPv4(Destination.TryParseAddress(host, out IPAddress? literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false)),
            client => client.ResolveNameAsync(host, cancellationToken),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The name of <paramref name="address"/> (a reverse lookup) the way the routing rules say for that
    /// address: through a proxy with <see cref="SocksClient.ResolveAddressAsync"/>, direct with the system resolver.
    /// </summary>
    /// <param name="address">The address to look up.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The name.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    /// <exception cref="RouteDeniedException">The routing file denies the address.</exception>
    /// <exception cref="SocksException">A proxy refused or failed the lookup.</exception>
    /// <exception cref="SocketException">A direct lookup failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<string> ResolveAddressAsync(IPAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        string host = address.ToString();
        Route route = GetRoute(host, 0);
        return await LookUpAsync(
            route,
            host,
            async () => (await Dns.GetHostEntryAsync(address).WaitAsync(cancellationToken).ConfigureAwait(false)).HostName,
            client => client.ResolveAddressAsync(address, cancellationToken),
            cancellationToken).ConfigureAwait(false);
    }

    private async Task<T> LookUpAsync<T>(Route route, string host, Func<Task<T>> direct, Func<SocksClient, Task<T>> viaProxy, CancellationToken cancellationToken)
    {
        LogStep($"lookup of {host}: {route}");
        return route.Action switch
        {
            RouteAction.Deny => throw new RouteDeniedException(route, host),
            RouteAction.Direct => await direct().ConfigureAwait(false),
            _ => await WithFallbackAsync(route, viaProxy, cancellationToken).ConfigureAwait(false),
        };
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
    /// (a chain, SOCKS4) are skipped.
    /// </summary>
    /// <param name="route">A route via proxies, e.g. from <see cref="GetRoute"/>.</param>
    /// <param name="cancellationToken">Cancels the request (not the association once open).</param>
    /// <returns>The association; disposing it ends the association.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="route"/> is null.</exception>
    /// <exception cref="ArgumentException">The route is not <see cref="RouteAction.Via"/>.</exception>
    /// <exception cref="NotSupportedException">No proxy of the route can carry UDP (each is a chain, or not SOCKS5).</exception>
    /// <exception cref="SocksException">A proxy failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
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

        Route udpRoute = usable.Length == route.Proxies.Count ? route : Route.Via(usable, route.Origin);
        return await WithFallbackAsync(udpRoute, client => client.AssociateUdpAsync(cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    private async Task<T> WithFallbackAsync<T>(Route route, Func<SocksClient, Task<T>> open, CancellationToken cancellationToken)
    {
        for (int i = 0; ; i++)
        {
            ProxyChain chain = route.Proxies[i];
            var client = new SocksClient(chain, _options);
            try
            {
                return await open(client).ConfigureAwait(false);
            }
            catch (SocksException e) when (e.Kind == SocksErrorKind.ProxyUnreachable && e.HopIndex == 0 && i + 1 < route.Proxies.Count)
            {
                cancellationToken.ThrowIfCancellationRequested();
                LogStep($"{chain[0]} unreachable ({e.InnerException?.Message ?? e.Message}); trying {route.Proxies[i + 1]}");
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
            attempt.CancelAfter(_options.ConnectTimeout);
            var endPoint = new IPEndPoint(address, port);
            try
            {
                await socket.ConnectAsync(endPoint, attempt.Token).ConfigureAwait(false);
                LogStep(string.Create(CultureInfo.InvariantCulture, $"direct TCP connection to {endPoint} from {socket.LocalEndPoint}"));
                return socket;
            }
            catch (SocketException e)
            {
                socket.Dispose();
                LogStep($"direct {endPoint}: {e.Message}");
                first ??= e;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                socket.Dispose();
                LogStep($"direct {endPoint}: timed out");
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

    private void LogStep(string step)
    {
        if (Logger is { } logger)
        {
            RouterStep(logger, step);
        }
    }

    [LoggerMessage(10, LogLevel.Debug, "{Step}")]
    private static partial void RouterStep(ILogger logger, string step);
}
