using System.Net.Sockets;
using System.Text;

namespace Windsock.Cli.Run;

/// <summary>
/// The private unix socket the preload asks: one connection per question, one line each way, then
/// close. The socket lives in a directory only this user can enter (mode 0700), since replies carry
/// proxy credentials; its path reaches the program in <c>WINDSOCK_RUN_SOCKET</c>, which children inherit.
/// </summary>
internal sealed class ControlServer : IAsyncDisposable
{
    private const int MaxRequest = 4096;

    private readonly Socket _listener;
    private readonly RunRoutes _routes;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly DirectoryInfo _directory;

    private ControlServer(DirectoryInfo directory, Socket listener, RunRoutes routes)
    {
        _directory = directory;
        _listener = listener;
        _routes = routes;
        SocketPath = Path.Combine(directory.FullName, "control");
        _accepting = AcceptAsync();
    }

    public string SocketPath { get; }

    public static ControlServer Start(RunRoutes routes)
    {
        // CreateTempSubdirectory makes the directory with mode 0700 on Unix.
        DirectoryInfo directory = Directory.CreateTempSubdirectory("windsock-run-");
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(Path.Combine(directory.FullName, "control")));
            listener.Listen(512);
        }
        catch
        {
            listener.Dispose();
            directory.Delete(recursive: true);
            throw;
        }

        return new ControlServer(directory, listener, routes);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using (client)
        {
            try
            {
                using var bounded = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                bounded.CancelAfter(TimeSpan.FromSeconds(10));
                byte[] buffer = new byte[MaxRequest];
                int used = 0;
                while (used < buffer.Length)
                {
                    int n = await client.ReceiveAsync(buffer.AsMemory(used), SocketFlags.None, bounded.Token).ConfigureAwait(false);
                    if (n == 0)
                    {
                        break;
                    }

                    used += n;
                    if (Array.IndexOf(buffer, (byte)'\n', 0, used) >= 0)
                    {
                        break;
                    }
                }

                string request = Encoding.UTF8.GetString(buffer, 0, used).Split('\n', 2)[0];
                string reply = await Task.Run(() => _routes.Answer(request), bounded.Token).ConfigureAwait(false);
                byte[] bytes = Encoding.UTF8.GetBytes(reply);
                int sent = 0;
                while (sent < bytes.Length)
                {
                    sent += await client.SendAsync(bytes.AsMemory(sent), SocketFlags.None, bounded.Token).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // The program went away mid-question; it will not read an answer.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _accepting.ConfigureAwait(false);
        _stop.Dispose();
        try
        {
            _directory.Delete(recursive: true);
        }
        catch (IOException)
        {
            // Left in the temporary directory; nothing secret remains in it once the socket is closed.
        }
    }
}
