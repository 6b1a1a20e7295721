using Windsock.Client;
using Windsock.Client.Http;
using Windsock.Client.Routing;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// SOCKS for clients made by <c>IHttpClientFactory</c> (<c>services.AddHttpClient(...)</c>): the primary
/// <see cref="SocketsHttpHandler"/> connects through SOCKS, keeping everything else the builder configures,
/// and a proxy's failure surfaces as <see cref="HttpRequestError.ProxyTunnelError"/>.
/// </summary>
public static class SocksHttpClientBuilderExtensions
{
    /// <summary>Every connection of the named client goes through <paramref name="client"/>'s chain.</summary>
    /// <param name="builder">The builder from <c>AddHttpClient</c>.</param>
    /// <param name="client">The client that opens the connections.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="client"/> is null.</exception>
    public static IHttpClientBuilder AddSocksProxy(this IHttpClientBuilder builder, SocksClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return builder.AddSocksProxy(_ => client);
    }

    /// <summary>Every connection of the named client goes through the proxy a URI names (<c>socks5h://user:pass@host:1080</c>).</summary>
    /// <param name="builder">The builder from <c>AddHttpClient</c>.</param>
    /// <param name="proxyUri">A <c>socks4</c>, <c>socks4a</c>, <c>socks5</c> or <c>socks5h</c> URI, as <see cref="ProxyHop.FromUri"/> reads it.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="proxyUri"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="proxyUri"/> is not a SOCKS proxy URI.</exception>
    public static IHttpClientBuilder AddSocksProxy(this IHttpClientBuilder builder, Uri proxyUri) =>
        builder.AddSocksProxy(new SocksClient(ProxyHop.FromUri(proxyUri)));

    /// <summary>Every connection of the named client goes through the client <paramref name="clientFactory"/> makes from the services (e.g. with a logger and options from configuration).</summary>
    /// <param name="builder">The builder from <c>AddHttpClient</c>.</param>
    /// <param name="clientFactory">Makes the client when the handler is built.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="clientFactory"/> is null.</exception>
    public static IHttpClientBuilder AddSocksProxy(this IHttpClientBuilder builder, Func<IServiceProvider, SocksClient> clientFactory)
    {
        ArgumentNullException.ThrowIfNull(clientFactory);
        return builder.Connect(services => SocksHttpHandler.CreateConnectCallback(clientFactory(services)));
    }

    /// <summary>Every connection of the named client goes the way <paramref name="router"/> decides: denied, direct, or through proxies with fallback.</summary>
    /// <param name="builder">The builder from <c>AddHttpClient</c>.</param>
    /// <param name="router">The routing decisions, e.g. <see cref="Router.FromEnvironment()"/>.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="router"/> is null.</exception>
    public static IHttpClientBuilder AddSocksProxy(this IHttpClientBuilder builder, Router router)
    {
        ArgumentNullException.ThrowIfNull(router);
        return builder.Connect(_ => SocksHttpHandler.CreateConnectCallback(router));
    }

    private static IHttpClientBuilder Connect(this IHttpClientBuilder builder, Func<IServiceProvider, Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>>> callback)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.UseSocketsHttpHandler((handler, services) =>
        {
            handler.UseProxy = false;
            handler.ConnectCallback = callback(services);
        });

        // Added when the pipeline is built, after every other handler, so it sits right above the primary
        // handler and every handler above it (retries, logging) already sees ProxyTunnelError.
        builder.ConfigureAdditionalHttpMessageHandlers((handlers, _) => handlers.Add(new ProxyTunnelErrorHandler()));
        return builder;
    }
}
