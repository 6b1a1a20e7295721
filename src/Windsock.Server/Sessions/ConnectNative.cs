using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Windsock.Server.Sessions;

/// <summary>
/// The system calls of an outbound connect made without <see cref="Socket.Connect(EndPoint)"/> (Linux): connect(2) that
/// answers with its errno, poll(2) for its outcome, and getsockname(2) for the address it left from.
/// <para>
/// Why: a non-blocking connect is "in progress" nearly every time, and .NET's <c>Socket.Connect</c> says so by
/// throwing a <see cref="SocketException"/>. Throwing and catching it, with its message, was a fifth of a connection's
/// user time on the handshake loop (docs/benchmarks.md, "Connections, round five"). The price: .NET's
/// <see cref="Socket"/> never learns that a socket connected this way is connected, so its <c>Connected</c>,
/// <c>RemoteEndPoint</c> and (unless bound first) <c>LocalEndPoint</c> stay unset. Code after the connect asks
/// <see cref="LocalEndPointOf"/> and the connect result instead.
/// </para>
/// </summary>
internal static partial class ConnectNative
{
    public const int EINPROGRESS = 115;
    private const int EINTR = 4;
    private const short POLLOUT = 0x004;
    private const short POLLERR = 0x008;
    private const short POLLHUP = 0x010;
    private const ushort AF_INET = 2;
    private const ushort AF_INET6 = 10;

    /// <summary>connect(2) to <paramref name="target"/>: 0 when connected at once, else the errno (EINPROGRESS: under way).</summary>
    public static unsafe int Connect(SafeHandle socket, IPEndPoint target)
    {
        Span<byte> address = stackalloc byte[28];
        int length = Write(target, address);
        bool referenced = false;
        try
        {
            socket.DangerousAddRef(ref referenced);
            fixed (byte* pointer = address)
            {
                // Interrupted, the connect goes on in the background: the same as in progress.
                return ConnectTo((int)socket.DangerousGetHandle(), pointer, (uint)length) == 0 ? 0
                    : Marshal.GetLastPInvokeError() is var error && error == EINTR ? EINPROGRESS : error;
            }
        }
        finally
        {
            if (referenced)
            {
                socket.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Whether the connect under way on <paramref name="socket"/> is over: false while it is in progress, true when it
    /// connected; throws its error when it failed (SO_ERROR, as <see cref="Socket.Connect(EndPoint)"/> would).
    /// </summary>
    public static unsafe bool Finished(Socket socket)
    {
        var poll = new PollFd { Events = POLLOUT };
        int ready;
        bool referenced = false;
        try
        {
            socket.SafeHandle.DangerousAddRef(ref referenced);
            poll.Fd = (int)socket.SafeHandle.DangerousGetHandle();
            do
            {
                ready = Poll(&poll, 1, 0);
            }
            while (ready < 0 && Marshal.GetLastPInvokeError() == EINTR);
        }
        finally
        {
            if (referenced)
            {
                socket.SafeHandle.DangerousRelease();
            }
        }

        if (ready < 0)
        {
            throw new SocketException((int)SocketErrorOf(Marshal.GetLastPInvokeError()));
        }

        if ((poll.Revents & (POLLERR | POLLHUP)) != 0)
        {
            // .NET translates SO_ERROR's errno into a SocketError; a hang-up with no error left is a reset.
            int error = socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error) is int e ? e : 0;
            throw new SocketException(error != 0 ? error : (int)SocketError.ConnectionReset);
        }

        return (poll.Revents & POLLOUT) != 0;
    }

    /// <summary>The address and port <paramref name="socket"/> is bound to (getsockname), or null where unknown.</summary>
    public static unsafe IPEndPoint? LocalEndPointOf(Socket socket)
    {
        if (!OperatingSystem.IsLinux())
        {
            return socket.LocalEndPoint as IPEndPoint;
        }

        Span<byte> address = stackalloc byte[28];
        uint length = (uint)address.Length;
        int result;
        bool referenced = false;
        try
        {
            socket.SafeHandle.DangerousAddRef(ref referenced);
            fixed (byte* pointer = address)
            {
                result = GetSockName((int)socket.SafeHandle.DangerousGetHandle(), pointer, &length);
            }
        }
        finally
        {
            if (referenced)
            {
                socket.SafeHandle.DangerousRelease();
            }
        }

        return result == 0 ? Read(address[..(int)Math.Min(length, (uint)address.Length)]) : null;
    }

    /// <summary>The <see cref="SocketError"/> .NET would have reported for a connect's errno.</summary>
    public static SocketError SocketErrorOf(int errno) => errno switch
    {
        1 or 13 => SocketError.AccessDenied, // EPERM (a firewall rule), EACCES
        9 => SocketError.OperationAborted, // EBADF: closed meanwhile
        11 or 99 => SocketError.AddressNotAvailable, // EAGAIN, EADDRNOTAVAIL: no local port left
        12 or 105 => SocketError.NoBufferSpaceAvailable, // ENOMEM, ENOBUFS
        22 => SocketError.InvalidArgument,
        24 or 23 => SocketError.TooManyOpenSockets, // EMFILE, ENFILE
        97 => SocketError.AddressFamilyNotSupported,
        98 => SocketError.AddressAlreadyInUse,
        100 => SocketError.NetworkDown,
        101 => SocketError.NetworkUnreachable,
        102 => SocketError.NetworkReset,
        103 => SocketError.ConnectionAborted,
        104 => SocketError.ConnectionReset,
        106 => SocketError.IsConnected,
        110 => SocketError.TimedOut,
        111 => SocketError.ConnectionRefused,
        112 => SocketError.HostDown,
        113 => SocketError.HostUnreachable,
        114 => SocketError.AlreadyInProgress,
        EINPROGRESS => SocketError.InProgress,
        _ => SocketError.SocketError,
    };

    /// <summary>A sockaddr_in or sockaddr_in6 for <paramref name="target"/> into <paramref name="into"/> (28 bytes, cleared): its length.</summary>
    internal static int Write(IPEndPoint target, Span<byte> into)
    {
        into.Clear();
        BinaryPrimitives.WriteUInt16BigEndian(into[2..], (ushort)target.Port);
        if (target.AddressFamily == AddressFamily.InterNetwork)
        {
            MemoryMarshal.Write(into, AF_INET);
            target.Address.TryWriteBytes(into.Slice(4, 4), out _);
            return 16;
        }

        MemoryMarshal.Write(into, AF_INET6);
        target.Address.TryWriteBytes(into.Slice(8, 16), out _);
        MemoryMarshal.Write(into[24..], (uint)target.Address.ScopeId);
        return 28;
    }

    /// <summary>The endpoint in a sockaddr_in or sockaddr_in6, or null for another family or a short one.</summary>
    internal static IPEndPoint? Read(ReadOnlySpan<byte> from)
    {
        if (from.Length < 16)
        {
            return null;
        }

        ushort family = MemoryMarshal.Read<ushort>(from);
        int port = BinaryPrimitives.ReadUInt16BigEndian(from[2..]);
        if (family == AF_INET)
        {
            return new IPEndPoint(new IPAddress(from.Slice(4, 4)), port);
        }

        if (family == AF_INET6 && from.Length >= 28)
        {
            return new IPEndPoint(new IPAddress(from.Slice(8, 16), MemoryMarshal.Read<uint>(from[24..])), port);
        }

        return null;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
    private static unsafe partial int ConnectTo(int fd, byte* address, uint length);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static unsafe partial int Poll(PollFd* fds, nuint count, int timeout);

    [LibraryImport("libc", EntryPoint = "getsockname", SetLastError = true)]
    private static unsafe partial int GetSockName(int fd, byte* address, uint* length);
}
