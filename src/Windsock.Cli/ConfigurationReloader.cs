using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Windsock.Server;
using Windsock.Server.Configuration;
using Windsock.Server.Logging;
using Windsock.Server.Sessions;

namespace Windsock.Cli;

/// <summary>
/// Live reload: SIGHUP, or a change of the configuration file or the users file, reads everything
/// again. The new configuration is validated completely before it replaces the running one; a bad
/// file is reported (file:line:column) and the running configuration stays. Sessions in progress
/// keep going with the configuration they started with; new requests use the new one. SOCKS listen
/// addresses are not rebound: a change there is reported and needs a restart. The admin listener is
/// (<see cref="RunningAdminListener"/>): a new address it cannot bind fails the whole reload.
/// </summary>
internal sealed class ConfigurationReloader : IAsyncDisposable
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(300);

    private readonly Func<LoadedConfiguration> _load;
    private readonly SocksServer _server;
    private readonly RequestLog _requestLog;
    private readonly RunningAdminListener _admin;
    private readonly ILogger _logger;
    private readonly List<SessionContext> _retired = [];
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly PosixSignalRegistration? _hangup;
    private readonly Timer _debounce;

    public ConfigurationReloader(
        Func<LoadedConfiguration> load,
        SocksServer server,
        RequestLog requestLog,
        RunningAdminListener admin,
        ILogger logger,
        IEnumerable<string?> watchedFiles)
    {
        _load = load;
        _server = server;
        _requestLog = requestLog;
        _admin = admin;
        _logger = logger;
        _debounce = new Timer(_ => _ = ReloadAsync("a file changed"));
        if (!OperatingSystem.IsWindows())
        {
            InheritedHangup.Restore();
            _hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true; // SIGHUP means reload, not exit
                _ = ReloadAsync("SIGHUP");
            });
        }

        foreach (var file in watchedFiles.OfType<string>().Distinct(StringComparer.Ordinal))
        {
            Watch(file);
        }
    }

    /// <summary>Completes after each reload attempt (tests and the log use it).</summary>
    public event Action<bool>? Reloaded;

    private void Watch(string file)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(file));
        if (folder is null || !Directory.Exists(folder))
        {
            return;
        }

        // Editors replace files by renaming a temporary over them; watch the folder for the name.
        var watcher = new FileSystemWatcher(folder, Path.GetFileName(file))
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size,
        };
        watcher.Changed += (_, _) => _debounce.Change(Debounce, Timeout.InfiniteTimeSpan);
        watcher.Created += (_, _) => _debounce.Change(Debounce, Timeout.InfiniteTimeSpan);
        watcher.Renamed += (_, _) => _debounce.Change(Debounce, Timeout.InfiniteTimeSpan);
        watcher.EnableRaisingEvents = true;
        _watchers.Add(watcher);
    }

    public async Task ReloadAsync(string trigger)
    {
        await _oneAtATime.WaitAsync().ConfigureAwait(false);
        try
        {
            LoadedConfiguration loaded;
            try
            {
                loaded = _load();
            }
            catch (StartupException e)
            {
                Fail(trigger, e.Message);
                return;
            }

            var options = loaded.Options;
            var running = _server.Context;
            if (!options.Listen.SequenceEqual(running.Options.Listen))
            {
                CliLog.ListenNeedsRestart(_logger, string.Join(", ", running.Options.Listen), string.Join(", ", options.Listen));
                options = options with { Listen = running.Options.Listen };
            }

            if (options.RunAs != running.Options.RunAs)
            {
                CliLog.AccountNeedsRestart(_logger, running.Options.RunAs?.ToDisplay() ?? "the starting account", options.RunAs?.ToDisplay() ?? "the starting account");
                options = options with { RunAs = running.Options.RunAs };
            }

            // Last before the swap: the one step that binds, so a failure here leaves everything as it was.
            string? adminMoved;
            try
            {
                adminMoved = await _admin.ApplyAsync(options).ConfigureAwait(false);
            }
            catch (Exception e) when (e is StartupException or ListenException)
            {
                Fail(trigger, e.Message);
                return;
            }

            var next = new SessionContext(options, loaded.Credentials, _requestLog, _logger, running.Time, loaded.Groups, running.Guards, running.Metrics, running.Routes);
            _retired.Add(_server.Swap(next));
            LogLevelSwitch.Current = options.Log.Level;
            CliLog.Reloaded(_logger, trigger, options.Rules?.Rules.Count ?? 0);
            next.Metrics.Reloaded(true);
            if (UsersFileMode.Warning(options.UsersFile) is { } exposed)
            {
                CliLog.UsersFileExposed(_logger, exposed);
            }

            foreach (string warning in options.Routes.SelectMany(r => r.Warnings))
            {
                CliLog.UsersFileExposed(_logger, warning);
            }

            if (adminMoved is not null)
            {
                _requestLog.WriteNotice(ServeCommand.NoticeLine(options.LogFormat, "admin", $"admin listener at {adminMoved}", ("address", adminMoved)));
            }

            _requestLog.WriteNotice(ServeCommand.NoticeLine(options.LogFormat, "reloaded", $"configuration reloaded ({trigger})"));
            Reloaded?.Invoke(true);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    private void Fail(string trigger, string error)
    {
        CliLog.ReloadFailed(_logger, trigger, error);
        _server.Context.Metrics.Reloaded(false);
        _requestLog.WriteNotice(ServeCommand.NoticeLine(_server.Context.Options.LogFormat, "reload-failed", $"reload failed ({trigger}), the running configuration stays: {error}"));
        Reloaded?.Invoke(false);
    }

    /// <summary>The context in use when the server stops; the retired ones are disposed with it.</summary>
    public async ValueTask DisposeAsync()
    {
        _hangup?.Dispose();
        foreach (var watcher in _watchers)
        {
            watcher.Dispose();
        }

        await _debounce.DisposeAsync().ConfigureAwait(false);
        foreach (var context in _retired)
        {
            await context.DisposeAsync().ConfigureAwait(false);
        }

        _oneAtATime.Dispose();
    }
}
