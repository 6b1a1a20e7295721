using System.Net.Sockets;

namespace Windsock.Interop.Tests.Infrastructure;

/// <summary>
/// Echoes every byte back on 127.0.0.1 and [::1] (same port); on the client's FIN it finishes
/// echoing, then sends its own FIN — so a relay that drops half-close makes clients hang (and
/// the bounded client timeout fail the test).
/// </summary>
public sealed class LoopbackEchoServer : IAsyncDisposable
{
    private readonly DualLoopbackListener _listener = new(EchoAsync);

    public int Port => _listener.Port;

    private static async Task EchoAsync(Socket client, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
        idle.CancelAfter(Timeouts.Client);
        while (true)
        {
            var read = await client.ReceiveAsync(buffer, SocketFlags.None, idle.Token);
            if (read == 0)
            {
                break;
            }
            await client.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, idle.Token);
        }
        client.Shutdown(SocketShutdown.Send);
    }

    public ValueTask DisposeAsync() => _listener.DisposeAsync();
}
