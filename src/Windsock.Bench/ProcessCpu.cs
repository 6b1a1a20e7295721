using System.Diagnostics;
using System.Globalization;

namespace Windsock.Bench;

/// <summary>One reading of the CPU time the server under test has used so far, summed over its processes.</summary>
/// <param name="Seconds">utime + stime of every process, plus cutime + cstime (children it has reaped: Dante's workers that exited).</param>
/// <param name="Timestamp">When it was read (<see cref="Stopwatch.GetTimestamp"/>).</param>
public sealed record CpuSample(double Seconds, long Timestamp);

/// <summary>
/// The server's CPU time from /proc/PID/stat, in clock ticks of USER_HZ (100 per second on Linux, whatever the
/// kernel's own HZ), for the same processes <see cref="ProcessMemory"/> reads. The difference between two samples
/// divided by the connections served between them is the server's CPU per connection: unlike a rate, it barely
/// moves when other work on the machine takes the CPU from the load.
/// </summary>
public sealed class ProcessCpu
{
    private const double TicksPerSecond = 100;
    private readonly ServerProcesses _processes;

    public ProcessCpu(IReadOnlyList<int> pids, int? processGroup)
    {
        _processes = new ServerProcesses(pids, processGroup);
    }

    public bool IsEmpty => _processes.IsEmpty;

    /// <summary>Throws <see cref="InvalidOperationException"/> when a given pid cannot be read or a group is empty.</summary>
    public void Check()
    {
        foreach (int pid in _processes.Pids)
        {
            if (ServerProcesses.StatFields(pid) is null)
            {
                throw new InvalidOperationException($"--pid {pid}: /proc/{pid}/stat cannot be read");
            }
        }

        _processes.CheckGroup();
    }

    public CpuSample Sample()
    {
        long ticks = 0;
        foreach (int pid in _processes.Current())
        {
            if (ServerProcesses.StatFields(pid) is { Length: > 14 } fields)
            {
                for (int i = 11; i <= 14; i++)
                {
                    ticks += long.Parse(fields[i], NumberStyles.Integer, CultureInfo.InvariantCulture);
                }
            }
        }

        return new CpuSample(ticks / TicksPerSecond, Stopwatch.GetTimestamp());
    }

    /// <summary>The share of one core used between two samples (1.0 = one core busy all the time).</summary>
    public static double CoresUsed(CpuSample from, CpuSample to)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        double wall = Stopwatch.GetElapsedTime(from.Timestamp, to.Timestamp).TotalSeconds;
        return wall <= 0 ? 0 : (to.Seconds - from.Seconds) / wall;
    }
}
