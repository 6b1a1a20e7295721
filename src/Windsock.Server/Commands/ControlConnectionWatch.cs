using System.Net.Sockets;

namespace Windsock.Server.Commands;

/// <summary>
/// Watches the client's connection while BIND waits for its peer, so a client that goes away is
/// noticed at once rather than at the timeout, and its listener is closed with it. It waits with a
/// zero-byte receive (no buffer held while nothing happens); bytes the client sends early are kept,
/// up to a limit, and go to the peer first once it has connected.
/// </summary>
internal sealed class ControlConnectionWatch : IAsyncDisposable
{
    /// <summary>More than any real client sends before it knows its peer; a bound on held memory.</summary>
    public const int MaxEarlyBytes = 64 * 1024;

    private const int ChunkSize = 4096;

    private readonly Socket _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly MemoryStream _early = new();

    private ControlConnectionWatch(Socket client)
    {
        _client = client;
        Ended = RunAsync();
    }

    /// <summary>Completes with why the client can no longer be served, or null once <see cref="StopAsync"/> was called.</summary>
    public Task<string?> Ended { get; }

    public static ControlConnectionWatch Start(Socket client) => new(client);

    /// <summary>Stops watching and returns the bytes the client sent meanwhile.</summary>
    public async Task<byte[]> StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await Ended.ConfigureAwait(false);
        return _early.ToArray();
    }

    private async Task<string?> RunAsync()
    {
        var token = _stop.Token;
        byte[]? chunk = null;

        // Each pass takes at least one byte or ends, and the early bytes are capped: bounded.
        while (true)
        {
            int read;
            try
            {
                await _client.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, token).ConfigureAwait(false);
                chunk ??= new byte[ChunkSize];

                // A cancelled receive takes no bytes, so nothing can be lost between the two reads.
                read = await _client.ReceiveAsync(chunk, SocketFlags.None, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
            catch (SocketException e)
            {
                return $"client connection failed while waiting for the BIND peer: {e.SocketErrorCode}";
            }
            catch (ObjectDisposedException)
            {
                return "client connection closed while waiting for the BIND peer";
            }

            if (read == 0)
            {
                return "client closed while waiting for the BIND peer";
            }

            _early.Write(chunk, 0, read);
            if (_early.Length > MaxEarlyBytes)
            {
                return $"client sent more than {MaxEarlyBytes} bytes before the BIND peer connected";
            }
        }
    }

    /// <summary>Stops watching (if not yet stopped) and waits for the pending receive to end before freeing anything.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await Ended.ConfigureAwait(false);
        _stop.Dispose();
        await _early.DisposeAsync().ConfigureAwait(false);
    }
}
