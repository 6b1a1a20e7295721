using System.Net.Sockets;
using Windsock.Client.Routing;

namespace Windsock.Client.Http;

/// <summary>
/// An <see cref="HttpMessageHandler"/> that opens every connection through SOCKS: a
/// <see cref="SocketsHttpHandler"/> (<see cref="SocketsHandler"/>, for its pool and HTTP settings) whose
/// <see cref="SocketsHttpHandler.ConnectCallback"/> connects through a <see cref="SocksClient"/> or a
/// <see cref="Router"/>. TLS runs end to end inside the tunnel; the system proxy settings are ignored.
/// A failure of a proxy surfaces as an <see cref="HttpRequestException"/> with
/// <see cref="HttpRequestError.ProxyTunnelError"/> and the <see cref="SocksException"/> as its inner exception.
/// </summary>
/// <remarks>
/// <see cref="SocketsHttpHandler"/>'s own <c>socks5://</c> proxy is enough for one proxy without a chain;
/// this handler adds chains, GSSAPI, the routing file, the proxy's reason for a refusal and typed errors
/// (docs/client-library.md, "BCL or Windsock.Client?").
/// </remarks>
public sealed class SocksHttpHandler : DelegatingHandler
{
    /// <summary>A handler whose every connection goes through <paramref name="client"/>'s chain.</summary>
    /// <param name="client">The client that opens the connections.</param>
    /// <exception cref="ArgumentNullException"><paramref name="client"/> is null.</exception>
    public SocksHttpHandler(SocksClient client)
        : this(CreateConnectCallback(client))
    {
    }

    /// <summary>A handler whose every connection goes through <paramref name="chain"/>, with the default <see cref="SocksClientOptions"/>.</summary>
    /// <param name="chain">The proxies to pass through.</param>
    /// <exception cref="ArgumentNullException"><paramref name="chain"/> is null.</exception>
    public SocksHttpHandler(ProxyChain chain)
        : this(new SocksClient(chain))
    {
    }

    /// <summary>A handler whose every connection goes through one proxy, with the default <see cref="SocksClientOptions"/>.</summary>
    /// <param name="proxy">The proxy.</param>
    /// <exception cref="ArgumentNullException"><paramref name="proxy"/> is null.</exception>
    public SocksHttpHandler(ProxyHop proxy)
        : this(new SocksClient(proxy))
    {
    }

    /// <summary>A handler whose every connection goes through the proxy a URI names, as <see cref="ProxyHop.FromUri"/> reads it (<c>socks5h://user:pass@host:1080</c>).</summary>
    /// <param name="proxyUri">A <c>socks4</c>, <c>socks4a</c>, <c>socks5</c> or <c>socks5h</c> URI.</param>
    /// <exception cref="ArgumentNullException"><paramref name="proxyUri"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="proxyUri"/> is not a SOCKS proxy URI.</exception>
    public SocksHttpHandler(Uri proxyUri)
        : this(ProxyHop.FromUri(proxyUri))
    {
    }

    /// <summary>
    /// A handler whose connections go the way <paramref name="router"/> decides per destination: denied,
    /// direct, or through a route's proxies with fallback. A denial surfaces as an
    /// <see cref="HttpRequestException"/> whose inner exception is the <see cref="RouteDeniedException"/>.
    /// </summary>
    /// <param name="router">The routing decisions, e.g. <see cref="Router.FromEnvironment()"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="router"/> is null.</exception>
    public SocksHttpHandler(Router router)
        : this(CreateConnectCallback(router))
    {
    }

    private SocksHttpHandler(Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> connect)
        : base(new SocketsHttpHandler { UseProxy = false, ConnectCallback = connect })
    {
        SocketsHandler = (SocketsHttpHandler)InnerHandler!;
    }

    /// <summary>
    /// The handler that does the HTTP, for its settings (<see cref="SocketsHttpHandler.PooledConnectionLifetime"/>,
    /// <see cref="SocketsHttpHandler.SslOptions"/>, …). Its <see cref="SocketsHttpHandler.ConnectCallback"/> is the
    /// SOCKS connection: replace it and the requests no longer go through the proxy.
    /// </summary>
    public SocketsHttpHandler SocketsHandler { get; }

    /// <summary>The connect callback alone, for a <see cref="SocketsHttpHandler"/> configured elsewhere: each connection through <paramref name="client"/>'s chain.</summary>
    /// <param name="client">The client that opens the connections.</param>
    /// <returns>A callback for <see cref="SocketsHttpHandler.ConnectCallback"/>; set <see cref="SocketsHttpHandler.UseProxy"/> to false beside it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="client"/> is null.</exception>
    /// <remarks>
    /// On its own, <see cref="SocketsHttpHandler"/> reports a failure of the callback as
    /// <see cref="HttpRequestError.ConnectionError"/>; <see cref="SocksHttpHandler"/> and
    /// <see cref="Microsoft.Extensions.DependencyInjection.SocksHttpClientBuilderExtensions"/> turn a proxy's failure into <see cref="HttpRequestError.ProxyTunnelError"/>.
    /// </remarks>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> CreateConnectCallback(SocksClient client)
    {
        ArgumentNullException.ThrowIfNull(client);

        // The name goes to the chain as given: the last hop resolves it unless told otherwise. The stream
        // is a GssapiStream when a hop protects the data, so HTTP works over GSSAPI too.
        return (context, cancellationToken) => TuneAsync(client.ConnectStreamAsync(context.DnsEndPoint, cancellationToken));
    }

    /// <summary>The connect callback alone, for a <see cref="SocketsHttpHandler"/> configured elsewhere: each connection as <paramref name="router"/> decides.</summary>
    /// <param name="router">The routing decisions.</param>
    /// <returns>A callback for <see cref="SocketsHttpHandler.ConnectCallback"/>; set <see cref="SocketsHttpHandler.UseProxy"/> to false beside it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="router"/> is null.</exception>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> CreateConnectCallback(Router router)
    {
        ArgumentNullException.ThrowIfNull(router);
        return (context, cancellationToken) => TuneAsync(router.ConnectStreamAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, cancellationToken));
    }

    private static async ValueTask<Stream> TuneAsync(Task<Stream> connecting)
    {
        var stream = await connecting.ConfigureAwait(false);
        try
        {
            (stream as NetworkStream)?.Socket.NoDelay = true;
            (stream as GssapiStream)?.Socket.NoDelay = true;
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return stream;
    }

    /// <inheritdoc/>
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        ProxyTunnelErrors.SendAsync(base.SendAsync, request, cancellationToken);

    /// <inheritdoc/>
    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) =>
        ProxyTunnelErrors.Send(base.Send, request, cancellationToken);
}
