using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Windsock.Server.Configuration;
using Windsock.Server.Metrics;

namespace Windsock.Server.Admin;

/// <summary>
/// The admin listener's sockets: a TCP address or a unix socket, one request per connection (HTTP/1.1 with
/// Connection: close), a bounded number of connections at once and a deadline for each. Three small endpoints
/// and Prometheus's scrapes need no more; a web framework would bring a second server stack into the process.
/// </summary>
public sealed class AdminServer : IAsyncDisposable
{
    /// <summary>Connections served at once; more are closed at once (a scraper, a browser and `windsock status` need a few).</summary>
    public const int MaxConnections = 16;

    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket _listener;
    private readonly AdminApi _api;
    private readonly MetricsCollector _collector;
    private readonly ILogger _logger;
    private readonly string? _socketPath;
    private readonly SemaphoreSlim _slots = new(MaxConnections, MaxConnections);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private readonly ServerMetrics _metrics;

    // Set when a replacement took the collector over: the counters it holds live on in the new listener.
    private bool _collectorHandedOver;

    private AdminServer(Socket listener, string? socketPath, ServerMetrics metrics, MetricsCollector collector, string? token, ILogger logger)
    {
        _listener = listener;
        _socketPath = socketPath;
        _logger = logger;
        _metrics = metrics;
        _collector = collector;
        _api = new AdminApi(metrics, _collector, token, logger);
        LocalEndPoint = listener.LocalEndPoint as IPEndPoint;
        Address = socketPath is null ? $"http://{LocalEndPoint}/" : $"unix:{socketPath}";
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>"http://127.0.0.1:9180/" (with the real port where 0 was asked for) or "unix:/run/windsock/admin.sock".</summary>
    public string Address { get; }

    public IPEndPoint? LocalEndPoint { get; }

    /// <summary>Binds the listener or throws <see cref="ListenException"/> saying why and what to do.</summary>
    public static AdminServer Start(AdminOptions options, string? token, ServerMetrics metrics, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var collector = new MetricsCollector(metrics.Meter);
        try
        {
            return Start(options, token, metrics, collector, logger);
        }
        catch
        {
            collector.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A reload moved the listener: binds <paramref name="options"/> while this one still serves, and hands it the
    /// metrics collected so far (a counter must not start again because its address changed). Throws
    /// <see cref="ListenException"/> and leaves this listener as it was; on success the caller disposes this one.
    /// </summary>
    public AdminServer Replace(AdminOptions options, string? token)
    {
        var next = Start(options, token, _metrics, _collector, _logger);
        _collectorHandedOver = true;
        return next;
    }

    /// <summary>A reload re-read the token file and the listener stays where it is.</summary>
    public void ReplaceToken(string? token) => _api.ReplaceToken(token);

    private static AdminServer Start(AdminOptions options, string? token, ServerMetrics metrics, MetricsCollector collector, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        Socket listener;
        if (options.SocketPath is { } path)
        {
            listener = BindUnix(path);
        }
        else
        {
            var endPoint = options.EndPoint!;
            listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
                {
                    listener.DualMode = false;
                }

                listener.Bind(endPoint);
                listener.Listen(64);
            }
            catch (SocketException e)
            {
                listener.Dispose();
                throw new ListenException($"admin listener: {new ListenException(endPoint, e).Message.Replace("--listen", "[admin] listen", StringComparison.Ordinal)}", e);
            }
        }

        var server = new AdminServer(listener, options.SocketPath, metrics, collector, token, logger);
        AdminLog.Listening(logger, server.Address);
        return server;
    }

    private static Socket BindUnix(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            if (File.Exists(path) || Directory.Exists(path))
            {
                RemoveStaleSocket(path);
            }

            socket.Bind(new UnixDomainSocketEndPoint(path));
            // Who may connect is who may open the file: its owner (and root).
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            socket.Listen(64);
            return socket;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            string fix = e.SocketErrorCode == SocketError.AccessDenied
                ? "the user windsock runs as cannot create files there; choose a folder it owns, e.g. /run/windsock (RuntimeDirectory=windsock in the unit)"
                : "check that the folder exists and is writable";
            throw new ListenException($"admin listener: cannot listen on the unix socket {path}: {e.Message}; {fix}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            socket.Dispose();
            throw new ListenException($"admin listener: cannot listen on the unix socket {path}: {e.Message}", e);
        }
    }

    /// <summary>
    /// A socket file left by a process that is gone is replaced; one a running process answers on is not, nor a
    /// folder or a file with content (a socket's size is 0).
    /// </summary>
    private static void RemoveStaleSocket(string path)
    {
        if (Directory.Exists(path) || new FileInfo(path).Length != 0)
        {
            throw new ListenException($"admin listener: {path} exists and is not a socket; name another path or remove the file");
        }

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException)
        {
            File.Delete(path);
            return;
        }

        throw new ListenException($"admin listener: another process already answers on {path} (is another windsock running?); name another path");
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            if (!_slots.Wait(0))
            {
                connection.Dispose();
                continue;
            }

            _ = ServeAsync(connection);
        }
    }

    private async Task ServeAsync(Socket connection)
    {
        string peer = connection.RemoteEndPoint is IPEndPoint remote ? remote.ToString() : "unix socket";
        try
        {
            using (connection)
            using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token))
            {
                deadline.CancelAfter(RequestTimeout);
                var response = await ReadAndAnswerAsync(connection, peer, deadline.Token).ConfigureAwait(false);
                if (response is not null)
                {
                    await connection.SendAsync(response, SocketFlags.None, deadline.Token).ConfigureAwait(false);
                    connection.Shutdown(SocketShutdown.Send);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // A client that went away or was too slow: nothing to answer.
        }
        catch (Exception e)
        {
            AdminLog.Failed(_logger, peer, e);
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task<byte[]?> ReadAndAnswerAsync(Socket connection, string peer, CancellationToken token)
    {
        var buffer = new byte[HttpRequestHead.MaxLength];
        int filled = 0;
        while (true)
        {
            int read = await connection.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, token).ConfigureAwait(false);
            if (read == 0)
            {
                return null;
            }

            filled += read;
            var head = HttpRequestHead.TryParse(buffer.AsSpan(0, filled), out _, out string? error);
            if (error is not null)
            {
                return AdminResponse.Error(error.Contains("too large", StringComparison.Ordinal) ? 431 : 400, error).Encode();
            }

            if (head is not null)
            {
                return _api.Handle(head, overUnixSocket: _socketPath is not null, peer).Encode(head.Method == "HEAD");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        if (_socketPath is not null)
        {
            try
            {
                File.Delete(_socketPath);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }

        if (!_collectorHandedOver)
        {
            _collector.Dispose();
        }

        _stop.Dispose();
    }
}
