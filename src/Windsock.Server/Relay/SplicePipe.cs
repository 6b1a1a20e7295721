namespace Windsock.Server.Relay;

/// <summary>A kernel pipe the splice relay moves a direction's bytes through: socket → pipe → socket.</summary>
internal readonly record struct SplicePipe(int ReadFd, int WriteFd, int Capacity);

/// <summary>
/// Empty pipes kept for the next burst of data. A relay direction takes a pipe when its socket turns
/// readable and gives it back once the socket is drained, so an idle session holds no pipe (no
/// descriptors, no kernel buffers), and a busy server does not pay pipe2 + fcntl + 2 × close per burst.
/// </summary>
internal static class SplicePipePool
{
    // Enough for every direction that is moving data at once on a busy server; beyond it pipes are closed.
    private const int MaxPooled = 64;

    private static readonly SplicePipe[] Pooled = new SplicePipe[MaxPooled];
    private static readonly Lock Gate = new();
    private static int _count;
    private static int _supported; // 0 not probed, 1 yes, -1 no

    /// <summary>
    /// Bytes asked for each pipe (F_SETPIPE_SZ). 64 KiB is the kernel's default; each slot holds one
    /// page fragment of a received segment, so a larger pipe moves more per splice call. Measured on
    /// loopback (docs/benchmarks.md): 64 KiB 6.7 / 10.8 Gbit/s (1 / 8 streams), 256 KiB 9.0 / 14.6,
    /// 1 MiB 9.6 / 16.1. 1 MiB would use up an unprivileged user's default pipe quota
    /// (fs.pipe-user-pages-soft, 64 MiB) with 64 busy directions, after which new pipes get two
    /// pages; 256 KiB leaves room for 256.
    /// </summary>
    public static int PipeSize { get; } = 256 * 1024;

    /// <summary>True on Linux when a pipe can be created (probed once; seccomp or a descriptor limit may say no).</summary>
    public static bool IsSupported
    {
        get
        {
            int state = Volatile.Read(ref _supported);
            if (state == 0)
            {
                state = -1;
                if (OperatingSystem.IsLinux() && TryRent(out var pipe))
                {
                    Return(pipe);
                    state = 1;
                }

                Volatile.Write(ref _supported, state);
            }

            return state == 1;
        }
    }

    public static bool TryRent(out SplicePipe pipe)
    {
        lock (Gate)
        {
            if (_count > 0)
            {
                pipe = Pooled[--_count];
                return true;
            }
        }

        if (!LinuxSplice.TryCreatePipe(out int readFd, out int writeFd))
        {
            pipe = default;
            return false;
        }

        int capacity = LinuxSplice.SetPipeSize(writeFd, PipeSize);
        pipe = new SplicePipe(readFd, writeFd, capacity > 0 ? capacity : 64 * 1024);
        return true;
    }

    /// <summary>Gives back an empty pipe. A pipe that may still hold bytes must go to <see cref="Discard"/>.</summary>
    public static void Return(SplicePipe pipe)
    {
        lock (Gate)
        {
            if (_count < MaxPooled)
            {
                Pooled[_count++] = pipe;
                return;
            }
        }

        Discard(pipe);
    }

    public static void Discard(SplicePipe pipe)
    {
        LinuxSplice.Close(pipe.ReadFd);
        LinuxSplice.Close(pipe.WriteFd);
    }
}
