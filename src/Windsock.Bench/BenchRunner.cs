using System.Diagnostics;
using System.Globalization;

namespace Windsock.Bench;

/// <summary>
/// Runs one bench mode from validated options: the load, a live progress line on stderr when
/// that is a terminal, then the result as a table or as JSON on stdout.
/// </summary>
/// <remarks>Exit codes: 0 something got through (soak: everything did, intact); 1 nothing did (or every session failed); 130 interrupted.</remarks>
public sealed class BenchRunner(TextWriter output, TextWriter error, bool errorIsTerminal)
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(500);

    public async Task<int> RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var connector = new TunnelConnector(options.Proxy, options.TargetName);
        var report = new ResultReport(output);
        var progress = new BenchProgress();
        using var progressStop = new CancellationTokenSource();
        Task printer = errorIsTerminal ? PrintProgressAsync(options, progress, progressStop.Token) : Task.CompletedTask;
        try
        {
            switch (options.Mode)
            {
                case "throughput":
                {
                    var load = new ThroughputLoad(connector, options.Streams, options.Duration, options.Warmup, options.BufferSize, options.Timeout, progress);
                    ThroughputResult result = await load.RunAsync(cancellationToken).ConfigureAwait(false);
                    await StopAsync().ConfigureAwait(false);
                    Write(options, () => report.WriteJson(options, result), () => report.WriteTable(options, result));
                    return result.Bytes > 0 ? 0 : 1;
                }

                case "connrate":
                {
                    var cpu = new ProcessCpu(options.Pids, options.ProcessGroup);
                    cpu.Check();
                    var load = new ConnectionRateLoad(
                        connector, options.Concurrency, options.Duration, options.Warmup, options.MaxOperations, options.Timeout, options.PayloadSize ?? 32, progress, options.CloseFirst,
                        cpu);
                    ConnectionRateResult result = await load.RunAsync(cancellationToken).ConfigureAwait(false);
                    await StopAsync().ConfigureAwait(false);
                    Write(options, () => report.WriteJson(options, result), () => report.WriteTable(options, result));
                    return result.Succeeded > 0 ? 0 : 1;
                }

                case "udp":
                {
                    var cpu = new ProcessCpu(options.Pids, options.ProcessGroup);
                    cpu.Check();
                    var load = new UdpRateLoad(
                        connector, options.Concurrency, options.Duration, options.Warmup, options.MaxOperations, options.Timeout, options.ReplyTimeout,
                        options.PayloadSize ?? 64, progress, cpu);
                    UdpRateResult result = await load.RunAsync(cancellationToken).ConfigureAwait(false);
                    await StopAsync().ConfigureAwait(false);
                    Write(options, () => report.WriteJson(options, result), () => report.WriteTable(options, result));
                    return result.Succeeded > 0 ? 0 : 1;
                }

                case "soak":
                {
                    var load = new SoakLoad(connector, options.Sessions, options.Concurrency, options.Duration, options.Timeout, options.SampleInterval,
                        options.Pids, options.CsvPath, progress);
                    SoakResult result = await load.RunAsync(cancellationToken).ConfigureAwait(false);
                    await StopAsync().ConfigureAwait(false);
                    Write(options, () => result.WriteJson(output), () => result.WriteTable(output));
                    return result.Clean ? 0 : 1;
                }

                default:
                {
                    var memory = new ProcessMemory(options.Pids, options.ProcessGroup);
                    memory.Check();
                    var load = new IdleLoad(
                        connector, options.Sessions, options.Duration, options.OpenConcurrency, options.Timeout, options.OpenTimeLimit, memory, progress);
                    IdleResult result = await load.RunAsync(cancellationToken).ConfigureAwait(false);
                    await StopAsync().ConfigureAwait(false);
                    Write(options, () => report.WriteJson(options, result), () => report.WriteTable(options, result));
                    return result.Opened > 0 ? 0 : 1;
                }
            }
        }
        finally
        {
            await StopAsync().ConfigureAwait(false);
        }

        async Task StopAsync()
        {
            if (!progressStop.IsCancellationRequested)
            {
                await progressStop.CancelAsync().ConfigureAwait(false);
                await printer.ConfigureAwait(false);
            }
        }
    }

    private static void Write(BenchOptions options, Action json, Action table)
    {
        if (options.Json)
        {
            json();
        }
        else
        {
            table();
        }
    }

    private async Task PrintProgressAsync(BenchOptions options, BenchProgress progress, CancellationToken stop)
    {
        long start = Stopwatch.GetTimestamp();
        long lastCount = 0;
        long lastBytes = 0;
        int width = 0;
        using var timer = new PeriodicTimer(ProgressInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
                long count = progress.SucceededCount;
                long? bytes = progress.Bytes;
                string line = options.Mode switch
                {
                    "throughput" => string.Create(CultureInfo.InvariantCulture,
                        $"throughput {elapsed,5:F1}s  {(bytes ?? 0) / 1e9:F2} GB  now {((bytes ?? 0) - lastBytes) * 8 / ProgressInterval.TotalSeconds / 1e9:F2} Gbit/s"),
                    "idle" => string.Create(CultureInfo.InvariantCulture,
                        $"idle {elapsed,5:F1}s  {progress.Phase}  {count}/{options.Sessions} open, {progress.FailedCount} failed"),
                    var mode => string.Create(CultureInfo.InvariantCulture,
                        $"{mode} {elapsed,5:F1}s  {count} ok, {progress.FailedCount} {(mode == "udp" ? "lost" : "failed")}  now {(count - lastCount) / ProgressInterval.TotalSeconds:F0}/s"),
                };
                lastCount = count;
                lastBytes = bytes ?? 0;
                width = Math.Max(width, line.Length);
                await error.WriteAsync("\r" + line.PadRight(width)).ConfigureAwait(false);
                await error.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }

        if (width > 0)
        {
            await error.WriteAsync("\r" + new string(' ', width) + "\r").ConfigureAwait(false);
            await error.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }
}
