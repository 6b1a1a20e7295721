using System.Net.Sockets;

namespace Windsock.Client.Http;

/// <summary>
/// HttpClient through SOCKS: a <see cref="SocketsHttpHandler.ConnectCallback"/> that opens each
/// connection through a <see cref="SocksClient"/>, so HTTP gets chains, every protocol version and
/// username/password, which SocketsHttpHandler's own proxy support lacks. TLS runs end to end over the tunnel.
/// </summary>
public static class SocksHttpHandler
{
    /// <summary>A handler whose every connection goes through <paramref name="chain"/>; the system proxy settings are ignored.</summary>
    public static SocketsHttpHandler Create(ProxyChain chain) => Create(new SocksClient(chain));

    public static SocketsHttpHandler Create(SocksClient client) => new()
    {
        UseProxy = false,
        ConnectCallback = CreateConnectCallback(client),
    };

    /// <summary>The callback alone, for a handler configured elsewhere.</summary>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> CreateConnectCallback(SocksClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return async (context, cancellationToken) =>
        {
            // The name goes to the chain as given: the last hop resolves it unless told otherwise. The
            // stream is a GssapiStream when a hop protects the data, so HTTP works over GSSAPI too.
            var stream = await client.ConnectStreamAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
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
        };
    }
}
