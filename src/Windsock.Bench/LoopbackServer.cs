using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Windsock.Bench;

/// <summary>
/// A TCP server on 127.0.0.1 with an OS-chosen port. Subclasses say what
/// to do with each accepted connection. Disposing stops accepting and
/// closes every open connection.
/// </summary>
public abstract class LoopbackServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Socket, Task> _connections = new();
    private Task? _acceptLoop;
    private long _accepted;
    private int _disposed;

    protected LoopbackServer()
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            // bind(port 0) takes a port of the ephemeral range that no socket holds, and sockets in TIME_WAIT hold theirs
            // for a minute: after a heavy connection-rate load there may be none left.
            _listener.Dispose();
            throw new InvalidOperationException(
                "no free port on 127.0.0.1 for the bench's own server: the ephemeral port range is taken (sockets in TIME_WAIT after "
                + "connection-rate loads: `ss -tan state time-wait | wc -l`); try again in a minute", e);
        }

        _listener.Listen(4096);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>Connections accepted so far.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    public void Start()
    {
        _acceptLoop ??= Task.Run(AcceptLoopAsync);
    }

    protected abstract Task HandleAsync(Socket connection, CancellationToken cancellationToken);

    private async Task AcceptLoopAsync()
    {
        CancellationToken token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await _listener.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // EMFILE and friends: keep serving the connections we have.
                await Task.Delay(10, CancellationToken.None).ConfigureAwait(false);
                continue;
            }

            Interlocked.Increment(ref _accepted);
            connection.NoDelay = true;
            _connections[connection] = RunConnectionAsync(connection, token);
        }
    }

    private async Task RunConnectionAsync(Socket connection, CancellationToken token)
    {
        await Task.Yield();
        try
        {
            await HandleAsync(connection, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            _connections.TryRemove(connection, out _);
            connection.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }

        foreach (Socket connection in _connections.Keys)
        {
            connection.Dispose();
        }

        await Task.WhenAll(_connections.Values).ConfigureAwait(false);
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }
}
