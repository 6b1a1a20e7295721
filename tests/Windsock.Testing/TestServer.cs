using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Windsock.Server.Authentication;
using Windsock.Server.Configuration;
using Windsock.Server.Logging;
using Windsock.Server;
using Windsock.Server.Sessions;

namespace Windsock.Testing;

/// <summary>A real SocksServer on 127.0.0.1:0 and [::1]:0 in this process, with its request log captured.</summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly SemaphoreSlim _lineAdded = new(0);
    private readonly RequestLog _log;

    private TestServer(ServerOptions options, ICredentialVerifier? credentials, TimeProvider time, ILogger? logger, TextWriter? logOutput)
    {
        Options = options;
        _log = new RequestLog(logOutput ?? TextWriter.Null, options.LogFormat, time, logger);
        _log.LineWritten += line =>
        {
            _lines.Enqueue(line);
            _lineAdded.Release();
        };
        Context = new SessionContext(options, credentials, _log, logger ?? NullLogger.Instance, time);
        Server = new SocksServer(Context);
        Server.Start();
    }

    public ServerOptions Options { get; }

    public SocksServer Server { get; }

    /// <summary>What the sessions share; tests may swap hooks such as the UDP destination filter.</summary>
    public SessionContext Context { get; }

    public IPEndPoint EndPoint => Server.LocalEndPoints[0];

    public IPEndPoint EndPointV6 => Server.LocalEndPoints[1];

    public IReadOnlyCollection<string> Lines => _lines;

    /// <summary>The request log itself (its lost-line count).</summary>
    public RequestLog RequestLog => _log;

    // logger: where the diagnostics go (standard error in `windsock serve`); none by default.
    // logOutput: where the request log writes (standard output in `windsock serve`); nowhere by default.
    public static TestServer Start(Func<ServerOptions, ServerOptions>? configure = null, ICredentialVerifier? credentials = null, TimeProvider? time = null, ILogger? logger = null,
        TextWriter? logOutput = null)
    {
        var options = ServerOptions.Default with
        {
            Listen = [new IPEndPoint(IPAddress.Loopback, 0), new IPEndPoint(IPAddress.IPv6Loopback, 0)],
        };
        return new TestServer(configure?.Invoke(options) ?? options, credentials, time ?? TimeProvider.System, logger, logOutput);
    }

    /// <summary>Waits (bounded) for a request-log line that satisfies the predicate.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> predicate, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var match = _lines.FirstOrDefault(predicate);
            if (match is not null)
            {
                return match;
            }

            try
            {
                await _lineAdded.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException("No matching log line. Lines:\n" + string.Join('\n', _lines));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Context.DisposeAsync();
        await _log.DisposeAsync();
        _lineAdded.Dispose();
    }
}
