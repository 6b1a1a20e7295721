using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Windsock.Server.Relay;

/// <summary>
/// The epoll(7) calls the idle-relay readiness wait needs: epoll_create1, epoll_ctl, epoll_wait. LibraryImport,
/// so NativeAOT binds them without reflection; every call returns -1 with errno in
/// <see cref="Marshal.GetLastPInvokeError"/>.
/// <para>
/// <c>struct epoll_event</c> is packed on x86-64 (12 bytes: u32 events, u64 data) and naturally aligned
/// elsewhere (16 bytes on arm64), so events are read and written as bytes at the platform's offsets rather
/// than through one struct layout that would be wrong on one of them.
/// </para>
/// </summary>
internal static partial class LinuxEpoll
{
    public const uint EPOLLIN = 0x001;
    public const uint EPOLLOUT = 0x004;
    public const uint EPOLLERR = 0x008;
    public const uint EPOLLHUP = 0x010;
    public const uint EPOLLRDHUP = 0x2000;
    public const uint EPOLLONESHOT = 1u << 30;
    public const uint EPOLLET = 1u << 31;

    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const int EPOLL_CTL_MOD = 3;

    public const int EEXIST = 17;
    public const int ENOENT = 2;

    private const int EPOLL_CLOEXEC = 0x80000;

    /// <summary>Bytes of one <c>struct epoll_event</c> here.</summary>
    public static int EventSize { get; } = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    /// <summary>Where <c>data</c> starts in an event: right after the u32 when packed, else at the next 8-byte boundary.</summary>
    private static int DataOffset => EventSize == 12 ? 4 : 8;

    public static int Create() => Create1(EPOLL_CLOEXEC);

    /// <summary>epoll_ctl with one event of <paramref name="events"/> carrying <paramref name="data"/>.</summary>
    public static unsafe int Control(int epoll, int operation, int fd, uint events, ulong data)
    {
        byte* buffer = stackalloc byte[16];
        var span = new Span<byte>(buffer, 16);
        span.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(span, events);
        MemoryMarshal.Write(span[DataOffset..], in data);
        return ControlCore(epoll, operation, fd, buffer);
    }

    /// <summary>epoll_wait into <paramref name="events"/> (room for <paramref name="maxEvents"/>); the count, or -1.</summary>
    public static unsafe int Wait(int epoll, byte* events, int maxEvents, int timeoutMilliseconds) =>
        WaitCore(epoll, events, maxEvents, timeoutMilliseconds);

    /// <summary>The <c>data</c> of event <paramref name="index"/> in a buffer <see cref="Wait"/> filled.</summary>
    public static unsafe ulong DataOf(byte* events, int index) =>
        MemoryMarshal.Read<ulong>(new ReadOnlySpan<byte>(events + (index * EventSize) + DataOffset, sizeof(ulong)));

    /// <summary>The <c>events</c> of event <paramref name="index"/> in a buffer <see cref="Wait"/> filled.</summary>
    public static unsafe uint EventsOf(byte* events, int index) =>
        MemoryMarshal.Read<uint>(new ReadOnlySpan<byte>(events + (index * EventSize), sizeof(uint)));

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    private static partial int Create1(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    private static unsafe partial int ControlCore(int epoll, int operation, int fd, byte* eventBuffer);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    private static unsafe partial int WaitCore(int epoll, byte* events, int maxEvents, int timeout);
}
