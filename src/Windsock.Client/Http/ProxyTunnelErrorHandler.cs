namespace Windsock.Client.Http;

/// <summary>The error translation of <see cref="SocksHttpHandler"/>, for a pipeline that IHttpClientFactory builds around its own primary handler.</summary>
internal sealed class ProxyTunnelErrorHandler : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        ProxyTunnelErrors.SendAsync(base.SendAsync, request, cancellationToken);

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) =>
        ProxyTunnelErrors.Send(base.Send, request, cancellationToken);
}
