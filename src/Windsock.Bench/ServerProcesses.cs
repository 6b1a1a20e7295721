using System.Globalization;

namespace Windsock.Bench;

/// <summary>
/// The processes of the server under test: given pids and/or every process of a process group (Dante forks
/// workers as clients arrive, so the group is re-read each time it is asked). Linux /proc only.
/// </summary>
public sealed class ServerProcesses
{
    public ServerProcesses(IReadOnlyList<int> pids, int? processGroup)
    {
        ArgumentNullException.ThrowIfNull(pids);
        Pids = pids;
        ProcessGroup = processGroup;
    }

    public IReadOnlyList<int> Pids { get; }

    public int? ProcessGroup { get; }

    public bool IsEmpty => Pids.Count == 0 && ProcessGroup is null;

    /// <summary>The processes now: the given pids and the group's current members.</summary>
    public IReadOnlyList<int> Current()
    {
        var all = new SortedSet<int>(Pids);
        if (ProcessGroup is int group)
        {
            foreach (string dir in Directory.EnumerateDirectories("/proc"))
            {
                if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && StatFields(pid) is { } fields
                    && int.Parse(fields[2], NumberStyles.Integer, CultureInfo.InvariantCulture) == group)
                {
                    all.Add(pid);
                }
            }
        }

        return [.. all];
    }

    /// <summary>Checks up front that a given group has a member, so a typo fails before the load.</summary>
    public void CheckGroup()
    {
        if (ProcessGroup is int group && Current().Count == 0)
        {
            throw new InvalidOperationException($"--pgid {group}: no process in that group");
        }
    }

    /// <summary>
    /// The fields of /proc/PID/stat after "pid (comm) ", so index 0 is the state, 2 the process group, 11 and 12
    /// utime and stime, 13 and 14 cutime and cstime (proc(5) numbers them 3, 5, 14-17); null when unreadable.
    /// comm may hold spaces and parentheses, hence the last ')'.
    /// </summary>
    public static string[]? StatFields(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }
}
