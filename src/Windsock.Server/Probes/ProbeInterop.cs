using System.Runtime.InteropServices;

namespace Windsock.Server.Probes;

/// <summary>
/// The Linux calls .NET's Socket does not offer and probing needs: recvmsg (with MSG_ERRQUEUE, for the
/// ICMP errors IP_RECVERR / IPV6_RECVERR queue with the reporting router's address, and for the TTL of a
/// reply), poll (the error queue is readable as POLLERR, which no Socket API waits for), and an eventfd
/// to wake that poll when the session ends. x86-64 / arm64 layouts (LP64). Everything else goes
/// through <see cref="System.Net.Sockets.Socket"/>.
/// </summary>
internal static unsafe partial class ProbeInterop
{
    public const int SolIp = 0;
    public const int IpTtl = 2;
    public const int IpRecvErr = 11;
    public const int IpRecvTtl = 12;
    public const int SolIpv6 = 41;
    public const int Ipv6UnicastHops = 16;
    public const int Ipv6RecvErr = 25;
    public const int Ipv6RecvHopLimit = 51;
    public const int Ipv6HopLimit = 52;

    public const int MsgDontWait = 0x40;
    public const int MsgErrQueue = 0x2000;

    public const byte OriginIcmp = 2;
    public const byte OriginIcmp6 = 3;

    private const short PollIn = 0x001;
    private const int EfdNonBlock = 0x800;
    private const int EfdCloexec = 0x80000;
    private const int EAgain = 11;
    private const int EIntr = 4;

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    private static partial nint RecvMsg(int fd, MsgHdr* message, int flags);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int Poll(PollFd* fds, nuint count, int timeout);

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    private static partial int EventFd(uint initial, int flags);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, void* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, void* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    /// <summary>
    /// One non-blocking recvmsg. Returns the byte count, or -1 with nothing queued (EAGAIN), or -2 for any other
    /// error (a pending socket error that recvmsg reports once; the caller reads again).
    /// </summary>
    public static int Receive(int fd, Span<byte> data, Span<byte> address, Span<byte> control, bool errorQueue, out int addressLength, out int controlLength)
    {
        addressLength = 0;
        controlLength = 0;
        fixed (byte* d = data)
        fixed (byte* a = address)
        fixed (byte* c = control)
        {
            var iov = new IoVec { Base = d, Length = (nuint)data.Length };
            var message = new MsgHdr
            {
                Name = a,
                NameLength = (uint)address.Length,
                Iov = &iov,
                IovLength = 1,
                Control = c,
                ControlLength = (nuint)control.Length,
            };
            nint n = RecvMsg(fd, &message, MsgDontWait | (errorQueue ? MsgErrQueue : 0));
            if (n < 0)
            {
                return Marshal.GetLastPInvokeError() is EAgain ? -1 : -2;
            }

            addressLength = (int)message.NameLength;
            controlLength = (int)message.ControlLength;
            return (int)Math.Min(n, data.Length);
        }
    }

    /// <summary>Waits until <paramref name="fd"/> has data or a queued error, or <paramref name="wake"/> is signalled, at most <paramref name="timeoutMs"/>.</summary>
    /// <returns>True when the socket is ready (POLLIN or POLLERR).</returns>
    public static bool WaitReady(int fd, int wake, int timeoutMs)
    {
        var fds = stackalloc PollFd[2];
        fds[0] = new PollFd { Fd = fd, Events = PollIn };
        fds[1] = new PollFd { Fd = wake, Events = PollIn };
        int n = Poll(fds, 2, timeoutMs);
        if (n < 0 && Marshal.GetLastPInvokeError() != EIntr)
        {
            throw new InvalidOperationException($"poll failed: errno {Marshal.GetLastPInvokeError()}");
        }

        return n > 0 && fds[0].Revents != 0;
    }

    /// <summary>Walks the control messages recvmsg returned: (level, type, data) for each.</summary>
    public static IEnumerable<(int Level, int Type, byte[] Data)> ControlMessages(ReadOnlySpan<byte> control)
    {
        // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } then data, each aligned to 8.
        var found = new List<(int, int, byte[])>();
        int offset = 0;
        while (offset + 16 <= control.Length)
        {
            long length = BitConverter.ToInt64(control[offset..]);
            if (length < 16 || offset + length > control.Length)
            {
                break;
            }

            int level = BitConverter.ToInt32(control[(offset + 8)..]);
            int type = BitConverter.ToInt32(control[(offset + 12)..]);
            found.Add((level, type, control.Slice(offset + 16, (int)length - 16).ToArray()));
            offset += (int)((length + 7) & ~7L);
        }

        return found;
    }

    /// <summary>A non-blocking eventfd (close-on-exec): the wake-up of one probe session's poll.</summary>
    public static int CreateWaker()
    {
        int fd = EventFd(0, EfdNonBlock | EfdCloexec);
        return fd >= 0 ? fd : throw new InvalidOperationException($"eventfd failed: errno {Marshal.GetLastPInvokeError()}");
    }

    public static void Signal(int waker)
    {
        ulong one = 1;
        _ = Write(waker, &one, sizeof(ulong));
    }

    public static void Drain(int waker)
    {
        ulong value;
        _ = Read(waker, &value, sizeof(ulong));
    }

    public static void CloseFd(int fd) => _ = Close(fd);
}
