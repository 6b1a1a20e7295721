using Microsoft.Extensions.Logging;
using Windsock.Server.Admin;
using Windsock.Server.Configuration;
using Windsock.Server.Metrics;

namespace Windsock.Cli;

/// <summary>
/// The admin listener of a running server, as the last good configuration has it. A reload that moves it binds the
/// new address before the old one closes (a scraper sees no gap, and a bind failure leaves the old one serving); a
/// reload that keeps the address re-reads the token file, so a rotated token takes effect without a restart.
/// </summary>
internal sealed partial class RunningAdminListener : IAsyncDisposable
{
    private readonly ServerMetrics _metrics;
    private readonly ILogger _logger;
    private AdminServer? _server;
    private AdminOptions? _options;

    private RunningAdminListener(ServerMetrics metrics, ILogger logger, AdminServer? server, AdminOptions? options)
    {
        _metrics = metrics;
        _logger = logger;
        _server = server;
        _options = options;
    }

    /// <summary>"http://127.0.0.1:9180/" or "unix:PATH"; null while off.</summary>
    public string? Address => _server?.Address;

    /// <summary>Starts what <paramref name="options"/> asks for (possibly nothing). Throws StartupException or ListenException.</summary>
    public static RunningAdminListener Start(ServerOptions options, ServerMetrics metrics, ILogger logger) =>
        new(metrics, logger, AdminListener.Start(options, metrics, logger), options.Admin);

    /// <summary>
    /// Makes the listener what <paramref name="next"/> asks for. Throws StartupException (the token file) or
    /// ListenException (the new address) and then changes nothing, so the reload can fail as a whole. Returns the
    /// new address when the listener moved or started, else null.
    /// </summary>
    public async Task<string?> ApplyAsync(ServerOptions next)
    {
        var admin = next.Admin;
        string? token = AdminListener.ReadToken(next);
        if (admin is null)
        {
            if (_server is { } running)
            {
                _server = null;
                _options = null;
                await running.DisposeAsync().ConfigureAwait(false);
                Stopped(_logger);
            }

            return null;
        }

        if (_server is { } current && SameListen(_options!, admin))
        {
            current.ReplaceToken(token);
            _options = admin;
            return null;
        }

        var moved = _server is { } old ? old.Replace(admin, token) : AdminServer.Start(admin, token, _metrics, _logger);
        var previous = _server;
        _server = moved;
        _options = admin;
        if (previous is not null)
        {
            await previous.DisposeAsync().ConfigureAwait(false);
        }

        return moved.Address;
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static bool SameListen(AdminOptions running, AdminOptions next) =>
        string.Equals(running.SocketPath, next.SocketPath, StringComparison.Ordinal) && Equals(running.EndPoint, next.EndPoint);

    [LoggerMessage(145, LogLevel.Information, "Admin listener stopped: the reloaded configuration has no [admin] listen")]
    private static partial void Stopped(ILogger logger);
}
