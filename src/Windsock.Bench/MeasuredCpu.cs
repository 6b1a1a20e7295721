using System.Diagnostics;

namespace Windsock.Bench;

/// <summary>
/// The CPU a rate load's server (when its processes were given) and this bench process used over the measured window,
/// in cores (1.0 = one core busy all the time): read when the window opens and when it closes (or when the workers are
/// done, if they stop first by count), so neither the warm-up nor the bench's own start-up is in it.
/// </summary>
public readonly record struct MeasuredCpu(double? Server, double Bench)
{
    public static async Task<MeasuredCpu> MeasureAsync(ProcessCpu? server, long from, long until, Task workers)
    {
        ArgumentNullException.ThrowIfNull(workers);
        await WaitUntilAsync(from, workers).ConfigureAwait(false);
        CpuSample? serverStart = server?.Sample();
        TimeSpan benchStart = Environment.CpuUsage.TotalTime;
        long start = Stopwatch.GetTimestamp();
        await WaitUntilAsync(until, workers).ConfigureAwait(false);
        CpuSample? serverEnd = server?.Sample();
        double wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
        double bench = wall <= 0 ? 0 : (Environment.CpuUsage.TotalTime - benchStart).TotalSeconds / wall;
        return new MeasuredCpu(serverStart is null || serverEnd is null ? null : ProcessCpu.CoresUsed(serverStart, serverEnd), bench);
    }

    private static async Task WaitUntilAsync(long timestamp, Task workers)
    {
        TimeSpan wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
        if (wait > TimeSpan.Zero)
        {
            await Task.WhenAny(Task.Delay(wait), workers).ConfigureAwait(false);
        }
    }
}
