using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Windsock.Interop.Tests.Infrastructure;

/// <summary>
/// A tiny HTTP/1.1 responder on 127.0.0.1 and [::1] (same port): every GET gets the same
/// deterministic random body, then the connection closes. Enough for curl, PySocks and HttpClient.
/// </summary>
public sealed class LoopbackHttpServer : IAsyncDisposable
{
    public const int DefaultBodyLength = 8 * 1024 * 1024;
    private const int MaxRequestHead = 64 * 1024;
    private static readonly byte[] EndOfHead = "\r\n\r\n"u8.ToArray();

    private readonly DualLoopbackListener _listener;
    private readonly byte[] _head;

    public LoopbackHttpServer(int bodyLength = DefaultBodyLength, int seed = 1929)
    {
        Body = new byte[bodyLength];
        new Random(seed).NextBytes(Body);
        BodySha256 = Convert.ToHexStringLower(SHA256.HashData(Body));
        _head = Encoding.ASCII.GetBytes(
            $"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {bodyLength}\r\nConnection: close\r\n\r\n");
        _listener = new DualLoopbackListener(ServeAsync);
    }

    public byte[] Body { get; }

    /// <summary>Lower-case hex, as sha256sum and hashlib print it.</summary>
    public string BodySha256 { get; }

    public int Port => _listener.Port;

    /// <summary>Bytes a relay carries from this server to its client per request: head plus body.</summary>
    public long ResponseLength => _head.Length + Body.Length;

    public int Accepted => _listener.Accepted;

    /// <summary>The URL for a host name or literal ("127.0.0.1", "[::1]", "localhost").</summary>
    public string Url(string host) => $"http://{host}:{Port}/";

    private async Task ServeAsync(Socket client, CancellationToken ct)
    {
        using var stream = new NetworkStream(client, ownsSocket: false);
        var head = new byte[MaxRequestHead];
        var filled = 0;
        while (head.AsSpan(0, filled).IndexOf(EndOfHead) < 0)
        {
            if (filled == head.Length)
            {
                return;
            }
            var read = await stream.ReadAsync(head.AsMemory(filled), ct);
            if (read == 0)
            {
                return;
            }
            filled += read;
        }
        await stream.WriteAsync(_head, ct);
        await stream.WriteAsync(Body, ct);
        client.Shutdown(SocketShutdown.Send);
        // Let the client read to the end before the socket is closed under it.
        var drain = new byte[1024];
        using var linger = CancellationTokenSource.CreateLinkedTokenSource(ct);
        linger.CancelAfter(Timeouts.Client);
        while (await stream.ReadAsync(drain, linger.Token) > 0)
        {
        }
    }

    public ValueTask DisposeAsync() => _listener.DisposeAsync();
}
