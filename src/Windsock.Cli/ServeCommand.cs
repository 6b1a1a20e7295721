using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Windsock.Server;
using Windsock.Server.Configuration;
using Windsock.Server.Logging;
using Windsock.Server.Sessions;

namespace Windsock.Cli;

/// <summary>`windsock serve`: run the SOCKS server until SIGTERM or Ctrl-C.</summary>
internal static class ServeCommand
{
    /// <summary>How long the process waits after SIGTERM: above the largest shutdown_grace the configuration accepts (1 h).</summary>
    public static TimeSpan MaxShutdownTime { get; } = TimeSpan.FromHours(1) + TimeSpan.FromSeconds(30);

    private static readonly Option<FileInfo?> ConfigOption = new("--config", "-c")
    {
        Description = "Configuration file (TOML). Without it the embedded default is used: loopback only, no authentication.",
    };

    private static readonly Option<string[]> ListenOption = new("--listen", "-l")
    {
        Description = "Address to listen on, ADDRESS:PORT (IPv6 in brackets: [::1]:1080). Repeat for several; replaces the configured list.",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    private static readonly Option<FileInfo?> UsersOption = new("--users")
    {
        Description = "User file (made with `windsock passwd`). Requires username/password from every client and refuses SOCKS4.",
    };

    private static readonly Option<string?> LogFormatOption = new("--log-format")
    {
        Description = "Request log format on standard output: text (key=value, the default) or json (one object per line).",
    };

    public static Command Create()
    {
        LogFormatOption.AcceptOnlyFromAmong("text", "json");
        var command = new Command(
            "serve",
            "Run the SOCKS server (SOCKS4, SOCKS4a and SOCKS5 on every listener).\n"
            + "Environment (Linux; docs/operations.md, \"CPU on a shared machine\"): WINDSOCK_LOOP_THREADS=N handshake loop threads, 1 to 64 "
            + "(default one per core, at most four); WINDSOCK_HANDSHAKE_LOOP=0 sessions wait through .NET's socket engine instead; "
            + "WINDSOCK_QUIET_COLLECTION=0 no compacting collection once the server goes quiet.")
        {
            ConfigOption,
            ListenOption,
            UsersOption,
            LogFormatOption,
        };
        command.SetAction(RunAsync);
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var configPath = parse.GetValue(ConfigOption)?.FullName;
        LoadedConfiguration Load()
        {
            var loaded = ServeOptionsBuilder.Build(configPath, parse.GetValue(ListenOption), parse.GetValue(UsersOption)?.FullName, parse.GetValue(LogFormatOption));
            return new LoadedConfiguration(loaded, ServeOptionsBuilder.LoadCredentials(loaded, TimeProvider.System), ServeOptionsBuilder.LoadGroups(loaded));
        }

        LoadedConfiguration configuration;
        try
        {
            configuration = Load();
        }
        catch (StartupException e)
        {
            await Console.Error.WriteLineAsync($"windsock: error: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        // Read by the handshake loop when it starts, where no error can be said any more: checked here, at the start.
        if (Windsock.Server.Sessions.LoopThreads.Problem(Environment.GetEnvironmentVariable(Windsock.Server.Sessions.LoopThreads.Variable)) is { } loopThreads)
        {
            await Console.Error.WriteLineAsync($"windsock: error: {loopThreads}").ConfigureAwait(false);
            return 2;
        }

        var options = configuration.Options;
        LogLevelSwitch.Current = options.Log.Level;
        using var loggerFactory = CreateLoggerFactory(options.LogFormat);
        var logger = EscapingLogger.Wrap(loggerFactory.CreateLogger("Windsock"));
        TextWriter output;
        try
        {
            output = options.Log.File is { } file
                ? new ReopeningLogFile(file)
                : new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = false };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string origin = options.Origins.TryGetValue("log.file", out string? where) ? $"{where}: " : string.Empty;
            await FailAsync(options.LogFormat, logger, $"{origin}cannot open the log file {options.Log.File}: {e.Message}. fix: create its folder and make it writable for the user windsock runs as, or remove log.file").ConfigureAwait(false);
            return 2;
        }

        // logrotate's postrotate sends SIGUSR1 (SIGHUP already means reload): the file is reopened by its path.
        using var reopen = output is ReopeningLogFile reopening ? PosixSignalRegistration.Create(SigUsr1, context => { context.Cancel = true; reopening.RequestReopen(); }) : null;
        await using var requestLog = new RequestLog(output, options.LogFormat, TimeProvider.System, logger);
        if (options.AllowOpenProxy && !options.RequiresAuthentication)
        {
            CliLog.OpenProxy(logger, string.Join(", ", options.AllowedClients));
        }

        if (UsersFileMode.Warning(options.UsersFile) is { } exposed)
        {
            CliLog.UsersFileExposed(logger, exposed);
        }

        foreach (string warning in options.Routes.SelectMany(r => r.Warnings))
        {
            CliLog.UsersFileExposed(logger, warning);
        }

        if (options.PamService is { } pamService && !PamServiceFiles.Exists(pamService))
        {
            CliLog.PamServiceFallsBack(logger, pamService);
        }

        var context = new SessionContext(options, configuration.Credentials, requestLog, logger, TimeProvider.System, configuration.Groups);
        await using var server = new SocksServer(context);
        RunningAdminListener admin;
        try
        {
            // Before the SOCKS listeners, so that the first session is already counted.
            admin = RunningAdminListener.Start(options, context.Metrics, logger);
            server.Start();
        }
        catch (Exception e) when (e is ListenException or StartupException)
        {
            await FailAsync(options.LogFormat, logger, e.Message).ConfigureAwait(false);
            return 1;
        }

        await using var adminListener = admin;
        if (admin.Address is { } adminAddress)
        {
            requestLog.WriteNotice(NoticeLine(options.LogFormat, "admin", $"admin listener at {adminAddress}", ("address", adminAddress)));
        }

        if (options.RunAs is { } account && await SwitchAccountAsync(account, Load, options.LogFormat, logger).ConfigureAwait(false) is { } failed)
        {
            return failed;
        }

        // SIGHUP is handled before "listening on" is printed: that line is the readiness signal scripts and
        // tests wait for, and a SIGHUP sent right after it must reload, not kill the process (its default).
        await using var reloader = new ConfigurationReloader(Load, server, requestLog, admin, logger, [configPath, options.UsersFile, options.GroupsFile]);
        foreach (var probes in Windsock.Server.Probes.ProbeCapabilities.Describe())
        {
            requestLog.WriteNotice(NoticeLine(options.LogFormat, "probes", probes));
        }

        foreach (var endPoint in server.LocalEndPoints)
        {
            requestLog.WriteNotice(ListeningLine(options.LogFormat, endPoint));
            if (output is ReopeningLogFile)
            {
                // The request log goes to the file; the readiness line stays where scripts wait for it too.
                await Console.Out.WriteLineAsync(ListeningLine(options.LogFormat, endPoint)).ConfigureAwait(false);
            }
        }

        await Console.Out.FlushAsync(cancellationToken).ConfigureAwait(false);

        SystemdNotifier.Notify("READY=1");
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        SystemdNotifier.Notify("STOPPING=1");
        await server.StopAsync(server.Context.Options.ShutdownGrace).ConfigureAwait(false);
        await server.Context.DisposeAsync().ConfigureAwait(false);
        return 0;
    }

    /// <summary>
    /// After binding (ports below 1024 need root or CAP_NET_BIND_SERVICE), become <c>[server] user</c>, then load
    /// every file again as that account: a users file only root can read is an error now, not at the first reload.
    /// Returns the exit code when the server must not go on.
    /// </summary>
    private static async Task<int?> SwitchAccountAsync(Windsock.Server.Accounts.UnixAccount account, Func<LoadedConfiguration> load, LogFormat format, ILogger logger)
    {
        if (PrivilegeDrop.SwitchTo(account) is { } problem)
        {
            await FailAsync(format, logger, problem).ConfigureAwait(false);
            return 1;
        }

        try
        {
            _ = load();
        }
        catch (StartupException e)
        {
            await FailAsync(format, logger, $"after switching to {account.ToDisplay()}: {e.Message}").ConfigureAwait(false);
            return 1;
        }

        CliLog.SwitchedAccount(logger, account.ToDisplay());
        return null;
    }

    /// <summary>
    /// A startup failure once the diagnostics' logger exists. With <c>log_format = "json"</c> it is one of the
    /// diagnostics' JSON objects (level Critical), so a log pipeline reading JSON sees why the server stopped; in
    /// text (and under systemd, whose journal takes the line as it is) the plain <c>windsock: error:</c> line that
    /// scripts and the earlier errors use. The logger factory's disposal flushes it before the process exits.
    /// </summary>
    private static async Task FailAsync(LogFormat format, ILogger logger, string problem)
    {
        if (DiagnosticsLayoutFor(format) == DiagnosticsLayout.Json)
        {
            CliLog.StartupFailed(logger, problem);
            return;
        }

        await Console.Error.WriteLineAsync($"windsock: error: {problem}").ConfigureAwait(false);
    }

    private static string ListeningLine(LogFormat format, IPEndPoint endPoint) =>
        NoticeLine(format, "listening", string.Create(CultureInfo.InvariantCulture, $"listening on {endPoint}"), ("address", endPoint.ToString()));

    /// <summary>A line in the request log stream that is not about a session: listeners, reloads.</summary>
    public static string NoticeLine(LogFormat format, string eventName, string text, (string Key, string Value)? extra = null)
    {
        if (format == LogFormat.Text)
        {
            return $"{DateTimeOffset.UtcNow.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)} {LogText.Escape(text)}";
        }

        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("time", DateTimeOffset.UtcNow.UtcDateTime);
            json.WriteString("event", eventName);
            if (extra is { } field)
            {
                json.WriteString(field.Key, field.Value);
            }

            json.WriteString("message", text);
            json.WriteEndObject();
        }

        return LogText.EscapeJsonLine(Encoding.UTF8.GetString(stream.ToArray()));
    }

    /// <summary>SIGUSR1 on Linux (x86-64 and ARM); .NET takes raw signal numbers cast to <see cref="PosixSignal"/>.</summary>
    private const PosixSignal SigUsr1 = (PosixSignal)10;

    /// <summary>How the diagnostics on standard error are written.</summary>
    private enum DiagnosticsLayout
    {
        /// <summary>One line per message, with a timestamp.</summary>
        Text,

        /// <summary>One JSON object per message (<c>log_format = "json"</c>).</summary>
        Json,

        /// <summary>Under systemd (<c>JOURNAL_STREAM</c> set): the journal's own format, whatever log_format says.</summary>
        Journal,
    }

    private static DiagnosticsLayout DiagnosticsLayoutFor(LogFormat format) =>
        Environment.GetEnvironmentVariable("JOURNAL_STREAM") is not null ? DiagnosticsLayout.Journal
        : format == LogFormat.Json ? DiagnosticsLayout.Json
        : DiagnosticsLayout.Text;

    private static ILoggerFactory CreateLoggerFactory(LogFormat format) => LoggerFactory.Create(builder =>
    {
        // The level is [log] level, read at each message so that a reload changes it.
        builder.SetMinimumLevel(LogLevel.Trace);
        builder.AddFilter((_, _, level) => LogLevelSwitch.Allows(level));
        // Diagnostics go to standard error; standard output carries only the request log.
        builder.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        var layout = DiagnosticsLayoutFor(format);
        if (layout == DiagnosticsLayout.Journal)
        {
            builder.AddSystemdConsole();
        }
        else if (layout == DiagnosticsLayout.Json)
        {
            // log_format = "json": the diagnostics are JSON objects too, one per line, like the request log.
            builder.AddJsonConsole(o =>
            {
                o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
                o.UseUtcTimestamp = true;
            });
        }
        else
        {
            builder.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";
                o.UseUtcTimestamp = true;
            });
        }
    });
}
