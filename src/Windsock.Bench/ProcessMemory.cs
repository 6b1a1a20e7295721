using System.Globalization;

namespace Windsock.Bench;

/// <summary>One reading of the memory of the server under test, summed over its processes.</summary>
/// <param name="RssKiB">Sum of VmRSS over the processes (shared pages count once per process).</param>
/// <param name="PssKiB">Sum of Pss (shared pages split between sharers), or null when smaps_rollup is unreadable.</param>
/// <param name="Processes">How many processes were read.</param>
public sealed record MemorySample(long RssKiB, long? PssKiB, int Processes);

/// <summary>
/// Reads the memory of the proxy under test from /proc: VmRSS from /proc/PID/status and Pss
/// from /proc/PID/smaps_rollup, for given pids and/or every process of a process group (Dante
/// forks workers as clients arrive, so its group is re-read at each sample). Linux only.
/// </summary>
public sealed class ProcessMemory
{
    private readonly ServerProcesses _processes;

    public ProcessMemory(IReadOnlyList<int> pids, int? processGroup)
    {
        _processes = new ServerProcesses(pids, processGroup);
    }

    public bool IsEmpty => _processes.IsEmpty;

    /// <summary>The processes a sample reads now.</summary>
    public IReadOnlyList<int> CurrentProcesses() => _processes.Current();

    /// <summary>Reads every process; throws <see cref="InvalidOperationException"/> when a given pid is gone.</summary>
    public MemorySample Sample()
    {
        long rss = 0;
        long pss = 0;
        bool pssKnown = true;
        int count = 0;
        foreach (int pid in CurrentProcesses())
        {
            long? processRss = ReadKiB($"/proc/{pid}/status", "VmRSS:");
            if (processRss is null)
            {
                if (_processes.Pids.Contains(pid))
                {
                    throw new InvalidOperationException($"cannot read VmRSS of process {pid} (gone, or a kernel thread?)");
                }

                continue; // a group member that exited meanwhile
            }

            rss += processRss.Value;
            long? processPss = ReadKiB($"/proc/{pid}/smaps_rollup", "Pss:");
            pssKnown &= processPss is not null;
            pss += processPss ?? 0;
            count++;
        }

        return new MemorySample(rss, pssKnown && count > 0 ? pss : null, count);
    }

    /// <summary>Checks up front that every given pid can be read, so a typo fails before the load.</summary>
    public void Check()
    {
        foreach (int pid in _processes.Pids)
        {
            if (ReadKiB($"/proc/{pid}/status", "VmRSS:") is null)
            {
                throw new InvalidOperationException($"--pid {pid}: no readable VmRSS in /proc/{pid}/status");
            }
        }

        _processes.CheckGroup();
    }

    private static long? ReadKiB(string path, string key)
    {
        try
        {
            foreach (string line in File.ReadLines(path))
            {
                if (line.StartsWith(key, StringComparison.Ordinal))
                {
                    string number = line[key.Length..].Trim().Split(' ')[0];
                    return long.Parse(number, NumberStyles.Integer, CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
        }

        return null;
    }
}
