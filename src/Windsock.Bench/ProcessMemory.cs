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
    private readonly IReadOnlyList<int> _pids;
    private readonly int? _processGroup;

    public ProcessMemory(IReadOnlyList<int> pids, int? processGroup)
    {
        ArgumentNullException.ThrowIfNull(pids);
        _pids = pids;
        _processGroup = processGroup;
    }

    public bool IsEmpty => _pids.Count == 0 && _processGroup is null;

    /// <summary>The processes a sample reads now.</summary>
    public IReadOnlyList<int> CurrentProcesses()
    {
        var all = new SortedSet<int>(_pids);
        if (_processGroup is int group)
        {
            foreach (string dir in Directory.EnumerateDirectories("/proc"))
            {
                if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && ProcessGroupOf(pid) == group)
                {
                    all.Add(pid);
                }
            }
        }

        return [.. all];
    }

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
                if (_pids.Contains(pid))
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
        foreach (int pid in _pids)
        {
            if (ReadKiB($"/proc/{pid}/status", "VmRSS:") is null)
            {
                throw new InvalidOperationException($"--pid {pid}: no readable VmRSS in /proc/{pid}/status");
            }
        }

        if (_processGroup is int group && CurrentProcesses().Count == 0)
        {
            throw new InvalidOperationException($"--pgid {group}: no process in that group");
        }
    }

    private static int? ProcessGroupOf(int pid)
    {
        try
        {
            // /proc/PID/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces and parentheses.
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[2], NumberStyles.Integer, CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
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
