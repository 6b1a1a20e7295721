using System.Runtime.InteropServices;

namespace Windsock.Server.Relay;

/// <summary>
/// The few Linux system calls the splice relay needs: pipe2, splice, fcntl (pipe size), read and close.
/// LibraryImport, so NativeAOT binds them without reflection. Every call returns -1 with errno in
/// <see cref="Marshal.GetLastPInvokeError"/>; the callers decide what an errno means for them.
/// </summary>
internal static partial class LinuxSplice
{
    // Linux generic values (x86-64 and arm64 agree on all of them).
    public const int EAGAIN = 11;
    public const int EINTR = 4;
    public const int EINVAL = 22;
    public const int ENOSYS = 38;
    public const int EOPNOTSUPP = 95;

    private const int O_NONBLOCK = 0x800;
    private const int O_CLOEXEC = 0x80000;
    private const int F_GETFL = 3;
    private const int F_SETFL = 4;
    private const int F_SETPIPE_SZ = 1031;
    private const int F_GETPIPE_SZ = 1032;

    /// <summary>Move pages rather than copy where the kernel can (a hint).</summary>
    public const uint SPLICE_F_MOVE = 1;

    /// <summary>Do not block on the pipe; the sockets are non-blocking already (.NET sets O_NONBLOCK).</summary>
    public const uint SPLICE_F_NONBLOCK = 2;

    public const uint Flags = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;

    /// <summary>A non-blocking, close-on-exec pipe; returns false (errno kept) when the system refuses one.</summary>
    public static unsafe bool TryCreatePipe(out int readFd, out int writeFd)
    {
        int* fds = stackalloc int[2];
        if (Pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0)
        {
            readFd = writeFd = -1;
            return false;
        }

        readFd = fds[0];
        writeFd = fds[1];
        return true;
    }

    /// <summary>Asks for a pipe of <paramref name="bytes"/>; returns the size the pipe really has.</summary>
    public static int SetPipeSize(int fd, int bytes)
    {
        _ = Fcntl(fd, F_SETPIPE_SZ, bytes); // refused above fs.pipe-max-size or the user's pipe quota: keep what it has
        return Fcntl(fd, F_GETPIPE_SZ, 0);
    }

    /// <summary>
    /// Puts <paramref name="socket"/>'s descriptor in non-blocking mode. .NET does so only at a socket's first
    /// asynchronous operation: a socket that never had one (BIND's accepted peer) is still blocking, and a relay
    /// that parks it instead of receiving would then splice from a blocking socket and hang a thread in the
    /// kernel once the burst is drained.
    /// </summary>
    public static void MakeNonBlocking(System.Net.Sockets.Socket socket)
    {
        bool referenced = false;
        try
        {
            socket.SafeHandle.DangerousAddRef(ref referenced);
            int fd = (int)socket.SafeHandle.DangerousGetHandle();
            int flags = Fcntl(fd, F_GETFL, 0);
            if (flags >= 0 && (flags & O_NONBLOCK) == 0)
            {
                _ = Fcntl(fd, F_SETFL, flags | O_NONBLOCK);
            }
        }
        finally
        {
            if (referenced)
            {
                socket.SafeHandle.DangerousRelease();
            }
        }
    }

    /// <summary>splice(2) between a socket and a pipe, without offsets.</summary>
    public static nint Splice(int fdIn, int fdOut, nuint length, uint flags) => SpliceCore(fdIn, 0, fdOut, 0, length, flags);

    public static unsafe nint Read(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            return ReadCore(fd, p, (nuint)buffer.Length);
        }
    }

    public static void Close(int fd) => _ = CloseCore(fd);

    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    private static unsafe partial int Pipe2(int* fds, int flags);

    [LibraryImport("libc", EntryPoint = "splice", SetLastError = true)]
    private static partial nint SpliceCore(int fdIn, nint offIn, int fdOut, nint offOut, nuint length, uint flags);

    // fcntl is variadic in C; with only integer arguments the SysV x86-64 and AArch64 Linux calling
    // conventions pass them exactly as for a fixed-argument function.
    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static unsafe partial nint ReadCore(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int CloseCore(int fd);
}
