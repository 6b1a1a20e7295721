namespace Windsock.Client.Http;

/// <summary>
/// SocketsHttpHandler reports every failure of a connect callback as <see cref="HttpRequestError.ConnectionError"/>
/// (it wraps whatever the callback throws). A proxy's failure is what <see cref="HttpRequestError.ProxyTunnelError"/>
/// means, as for an HTTP CONNECT proxy, so the handlers above it say so, keeping the message and the
/// <see cref="SocksException"/> as the inner exception.
/// </summary>
internal static class ProxyTunnelErrors
{
    public static async Task<HttpResponseMessage> SendAsync(
        Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> send, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await send(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (Translate(e) is { } tunnel)
        {
            throw tunnel;
        }
    }

    public static HttpResponseMessage Send(
        Func<HttpRequestMessage, CancellationToken, HttpResponseMessage> send, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return send(request, cancellationToken);
        }
        catch (HttpRequestException e) when (Translate(e) is { } tunnel)
        {
            throw tunnel;
        }
    }

    /// <summary>The same failure as a proxy tunnel error when a <see cref="SocksException"/> caused it; null otherwise.</summary>
    public static HttpRequestException? Translate(HttpRequestException e) =>
        e.HttpRequestError != HttpRequestError.ProxyTunnelError && FindSocksException(e) is { } socks
            ? new HttpRequestException(HttpRequestError.ProxyTunnelError, e.Message, socks, e.StatusCode)
            : null;

    private static SocksException? FindSocksException(Exception e)
    {
        // Bounded by the depth of the chain of inner exceptions, which is finite.
        for (Exception? inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocksException socks)
            {
                return socks;
            }
        }

        return null;
    }
}
