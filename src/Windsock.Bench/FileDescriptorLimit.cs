using System.Runtime.InteropServices;

namespace Windsock.Bench;

/// <summary>
/// This process's RLIMIT_NOFILE, and raising its soft limit toward the hard one, so the idle
/// load can hold thousands of sockets. The hard limit is the ceiling for an unprivileged
/// process; beyond it, run the bench under <c>ulimit -n</c>. (The .NET runtime already raises
/// the soft limit to the hard one at startup on Linux; this makes it explicit and reportable.)
/// </summary>
public static partial class FileDescriptorLimit
{
    private const int RlimitNofile = 7; // Linux

    /// <summary>Soft and hard limits now, or null off Linux or on error.</summary>
    public static (ulong Soft, ulong Hard)? Current()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        return GetRlimit(RlimitNofile, out Rlimit limit) == 0 ? (limit.Current, limit.Maximum) : null;
    }

    /// <summary>
    /// Raises the soft limit to at least <paramref name="needed"/> if the hard limit allows
    /// (to the hard limit otherwise). Returns the soft limit in force afterwards, or null if unknown.
    /// </summary>
    public static ulong? Raise(ulong needed)
    {
        if (Current() is not (ulong soft, ulong hard))
        {
            return null;
        }

        if (soft >= needed)
        {
            return soft;
        }

        var wanted = new Rlimit { Current = Math.Min(needed, hard), Maximum = hard };
        return SetRlimit(RlimitNofile, in wanted) == 0 ? wanted.Current : soft;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Rlimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRlimit(int resource, out Rlimit limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetRlimit(int resource, in Rlimit limit);
}
