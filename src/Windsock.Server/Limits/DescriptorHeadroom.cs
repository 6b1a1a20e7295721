using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Windsock.Server.Limits;

/// <summary>
/// Keeps clients from taking the process's last file descriptors. The .NET runtime needs descriptors
/// of its own at any moment: a pipe for every thread it starts (the thread pool grows under load), two
/// for each assembly it loads lazily (the first exception's stack trace, a rarely used code path), files
/// under /proc. When accepted clients take the last one, starting a thread fails and the runtime aborts
/// the whole process with "Out of memory." (seen in 2 runs of 3 with a few hundred clients under
/// <c>ulimit -n 256</c>). So the accept loop and the outbound connector stop short of RLIMIT_NOFILE by
/// <see cref="Headroom"/> descriptors, and one spare descriptor (on /dev/null) is held for the moment
/// accept itself says EMFILE, to take that connection off the queue and close it.
/// </summary>
internal static partial class DescriptorHeadroom
{
    private const int RlimitNofile = 7; // Linux
    private const int OReadOnly = 0;
    private const int OCloexec = 0x80000;
    private const int SockNonblock = 0x800;
    private const int SockCloexec = 0x80000;

    private static readonly Lock SpareGate = new();
    private static int _spare = -1;

    /// <summary>The soft RLIMIT_NOFILE now (it can change while running: prlimit), or null where unknown.</summary>
    public static ulong? Limit()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        return GetRlimit(RlimitNofile, out var limit) == 0 ? limit.Current : null;
    }

    /// <summary>
    /// Descriptors left to the runtime and to sessions already running: an eighth of the limit,
    /// at least 32 (a few thread starts and assembly loads), at most 1024.
    /// </summary>
    public static ulong Headroom(ulong limit) => Math.Clamp(limit / 8, 32, 1024);

    /// <summary>
    /// Where <paramref name="socket"/> (just created or accepted) sits. Linux gives out the lowest free
    /// descriptor, so descriptor <c>n</c> means <c>0..n-1</c> are all in use: the number is a lower bound
    /// of the descriptors open, known without a system call.
    /// </summary>
    public static DescriptorLevel LevelOf(Socket socket)
    {
        if (Limit() is not { } limit)
        {
            return DescriptorLevel.Plenty;
        }

        long descriptor = socket.SafeHandle.DangerousGetHandle();
        if (descriptor < 0)
        {
            return DescriptorLevel.Plenty;
        }

        return Level((ulong)descriptor + 1, limit);
    }

    /// <summary>
    /// The level from a count of /proc/self/fd: exact, but a directory walk, so only for a paused listener
    /// deciding whether to resume (closed descriptors leave holes below, and a low number then says little).
    /// </summary>
    public static DescriptorLevel LevelOfProcess()
    {
        if (Limit() is not { } limit)
        {
            return DescriptorLevel.Plenty;
        }

        try
        {
            // The walk's own descriptor is counted too: one more than open before it, on the safe side.
            ulong open = (ulong)Directory.EnumerateFileSystemEntries("/proc/self/fd").LongCount();
            return Level(open, limit);
        }
        catch (IOException)
        {
            return DescriptorLevel.Exhausted; // EMFILE on the directory itself
        }
        catch (UnauthorizedAccessException)
        {
            return DescriptorLevel.Plenty;
        }
    }

    private static DescriptorLevel Level(ulong used, ulong limit)
    {
        ulong headroom = Headroom(limit);
        return used + headroom > limit ? DescriptorLevel.Exhausted
            : used + (2 * headroom) > limit ? DescriptorLevel.Scarce
            : DescriptorLevel.Plenty;
    }

    /// <summary>Opens the spare descriptor if it is not held (at start, and after each use).</summary>
    public static void HoldSpare()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        lock (SpareGate)
        {
            if (_spare < 0)
            {
                _spare = Open("/dev/null", OReadOnly | OCloexec);
            }
        }
    }

    /// <summary>
    /// Accept failed with EMFILE/ENFILE: frees the spare, takes one queued connection off
    /// <paramref name="listener"/> and closes it (the client sees a close instead of waiting on a queue
    /// that cannot move), then takes the spare back. Returns whether a connection was closed.
    /// </summary>
    public static bool ShedOne(Socket listener)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        lock (SpareGate)
        {
            if (_spare >= 0)
            {
                _ = Close(_spare);
                _spare = -1;
            }

            bool shed = false;
            bool referenced = false;
            try
            {
                listener.SafeHandle.DangerousAddRef(ref referenced);
                // The listener is non-blocking (.NET's async accept set it): no queued connection means -1/EAGAIN at once.
                int client = Accept4((int)listener.SafeHandle.DangerousGetHandle(), 0, 0, SockNonblock | SockCloexec);
                if (client >= 0)
                {
                    _ = Close(client);
                    shed = true;
                }
            }
            catch (ObjectDisposedException)
            {
                // The listener closed (shutdown): nothing to shed.
            }
            finally
            {
                if (referenced)
                {
                    listener.SafeHandle.DangerousRelease();
                }
            }

            _spare = Open("/dev/null", OReadOnly | OCloexec);
            return shed;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Rlimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRlimit(int resource, out Rlimit limit);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "accept4", SetLastError = true)]
    private static partial int Accept4(int listener, nint address, nint addressLength, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int descriptor);
}
