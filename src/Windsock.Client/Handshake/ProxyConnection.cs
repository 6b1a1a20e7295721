using System.Net.Sockets;

namespace Windsock.Client.Handshake;

/// <summary>
/// The path to a hop while it is being built: the TCP socket to the first hop, and the stream the next
/// bytes are spoken on. The stream starts as the socket's own and becomes a <see cref="GssapiStream"/>
/// after a hop grants GSSAPI protection; later hops' handshakes run inside it, wrapped again if they protect too.
/// </summary>
internal sealed class ProxyConnection : IDisposable
{
    public ProxyConnection(Socket socket)
    {
        Socket = socket;
        Stream = new NetworkStream(socket, ownsSocket: true);
    }

    public Socket Socket { get; }

    public Stream Stream { get; set; }

    /// <summary>True when some hop wraps the bytes: only <see cref="Stream"/> can carry them then.</summary>
    public bool IsWrapped => Stream is not NetworkStream;

    public void Dispose()
    {
        Stream.Dispose();
        Socket.Dispose();
    }
}
