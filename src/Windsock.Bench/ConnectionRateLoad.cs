using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Windsock.Bench;

/// <summary>
/// C workers, each in a loop: connect (through the proxy, if any), CONNECT
/// to a local <see cref="EchoServer"/>, send a small payload, read it back,
/// close (or, with <see cref="CloseFirst.Server"/>, wait for the echo server to close first). Only connections started inside the measured window count, after
/// a warm-up. Bounded by time and by <c>maxConnections</c>.
/// </summary>
public sealed class ConnectionRateLoad
{
    private readonly TunnelConnector _connector;
    private readonly int _concurrency;
    private readonly TimeSpan _duration;
    private readonly TimeSpan _warmup;
    private readonly long _maxConnections;
    private readonly TimeSpan _connectionTimeout;
    private readonly int _payloadSize;
    private readonly BenchProgress? _progress;
    private readonly CloseFirst _closeFirst;
    private readonly ProcessCpu? _serverCpu;

    public ConnectionRateLoad(
        TunnelConnector connector,
        int concurrency,
        TimeSpan duration,
        TimeSpan warmup,
        long maxConnections,
        TimeSpan connectionTimeout,
        int payloadSize = 32,
        BenchProgress? progress = null,
        CloseFirst closeFirst = CloseFirst.Client,
        ProcessCpu? serverCpu = null)
    {
        ArgumentNullException.ThrowIfNull(connector);
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(duration, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(warmup, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConnections, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(connectionTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(payloadSize, 1);
        _connector = connector;
        _concurrency = concurrency;
        _duration = duration;
        _warmup = warmup;
        _maxConnections = maxConnections;
        _connectionTimeout = connectionTimeout;
        _payloadSize = payloadSize;
        _progress = progress;
        _closeFirst = closeFirst;
        _serverCpu = serverCpu is { IsEmpty: false } ? serverCpu : null;
    }

    public async Task<ConnectionRateResult> RunAsync(CancellationToken cancellationToken)
    {
        await using var echo = new EchoServer(_closeFirst == CloseFirst.Server ? _payloadSize : null);
        echo.Start();
        byte[]? request = _connector.PrepareRequest(echo.EndPoint);

        long now = Stopwatch.GetTimestamp();
        var window = new StartGate(
            now + ToTicks(_warmup),
            now + ToTicks(_warmup + _duration),
            _maxConnections);

        // Hard stop even if a peer wedges: nothing outlives the window plus one timeout.
        using var hardStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        hardStop.CancelAfter(_warmup + _duration + _connectionTimeout + TimeSpan.FromSeconds(2));

        var workers = new Task<WorkerTally>[_concurrency];
        for (int i = 0; i < _concurrency; i++)
        {
            workers[i] = WorkerAsync(echo.EndPoint, request, window, hardStop.Token);
        }

        Task<WorkerTally[]> all = Task.WhenAll(workers);
        MeasuredCpu cpu = await MeasuredCpu.MeasureAsync(_serverCpu, window.MeasureFrom, now + ToTicks(_warmup + _duration), all).ConfigureAwait(false);
        WorkerTally[] tallies = await all.ConfigureAwait(false);

        var latency = new LatencyHistogram();
        long failed = 0;
        string? firstError = null;
        foreach (WorkerTally tally in tallies)
        {
            latency.Add(tally.Latency);
            failed += tally.Failed;
            firstError ??= tally.FirstError;
        }

        // Stopped by count: the window really ended at the last start.
        double seconds = window.StoppedByCount
            ? Stopwatch.GetElapsedTime(window.MeasureFrom, Math.Max(window.LastStart, window.MeasureFrom)).TotalSeconds
            : _duration.TotalSeconds;

        return new ConnectionRateResult(_concurrency, seconds, latency.Count, failed, latency, firstError)
        {
            ServerCores = cpu.Server,
            BenchCores = cpu.Bench,
        };
    }

    private async Task<WorkerTally> WorkerAsync(IPEndPoint echo, byte[]? request, StartGate window, CancellationToken stop)
    {
        await Task.Yield();
        var tally = new WorkerTally();
        byte[] payload = new byte[_payloadSize];
        byte[] reply = new byte[_payloadSize];
        Random.Shared.NextBytes(payload);

        while (!stop.IsCancellationRequested && window.TryStart(out long started, out bool measured))
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
                timeout.CancelAfter(_connectionTimeout);
                using (Socket socket = await _connector.OpenAsync(echo, request, timeout.Token).ConfigureAwait(false))
                {
                    await SocketIo.SendAllAsync(socket, payload, timeout.Token).ConfigureAwait(false);
                    await SocketIo.ReceiveExactlyAsync(socket, reply, timeout.Token).ConfigureAwait(false);
                    if (!reply.AsSpan().SequenceEqual(payload))
                    {
                        throw new SocksHandshakeException("echo came back different");
                    }

                    if (_closeFirst == CloseFirst.Server
                        && await socket.ReceiveAsync(reply, SocketFlags.None, timeout.Token).ConfigureAwait(false) != 0)
                    {
                        throw new SocksHandshakeException("the proxy sent more than the echo after the target closed");
                    }
                }

                if (measured)
                {
                    tally.Latency.Record((long)Stopwatch.GetElapsedTime(started).TotalMicroseconds);
                }

                _progress?.Succeeded();
            }
            catch (Exception ex) when (ex is SocketException or SocksHandshakeException or OperationCanceledException or ObjectDisposedException)
            {
                if (stop.IsCancellationRequested)
                {
                    break;
                }

                if (measured)
                {
                    tally.Failed++;
                    tally.FirstError ??= ErrorTally.Describe(ex);
                }

                _progress?.Failed();

                // Do not spin on a refusing peer.
                await Task.Delay(1, CancellationToken.None).ConfigureAwait(false);
            }
        }

        return tally;
    }

    private static long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private sealed class WorkerTally
    {
        public LatencyHistogram Latency { get; } = new();

        public long Failed { get; set; }

        public string? FirstError { get; set; }
    }
}
