using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Windsock.Server.Loops;

/// <summary>
/// recvfrom(2) and sendto(2) with MSG_DONTWAIT on a socket's descriptor, for the datagram loop's thread: one
/// system call each, never a wait, whatever the socket's own blocking mode, and "would block" as a plain result
/// rather than an exception (a <see cref="Socket"/> call throws for it). LibraryImport, so NativeAOT binds them
/// without reflection.
/// </summary>
internal static partial class LinuxDatagrams
{
    private const int MSG_DONTWAIT = 0x40;
    private const int EAGAIN = 11;
    private const int EINTR = 4;

    /// <summary>
    /// Receives one datagram into <paramref name="buffer"/> and its sender into <paramref name="from"/> (sized for the
    /// socket's family). Returns the datagram's length, or -1 with <paramref name="error"/> set: <see cref="SocketError.WouldBlock"/>
    /// when none is queued.
    /// </summary>
    public static unsafe int ReceiveFrom(SafeHandle socket, Span<byte> buffer, SocketAddress from, out SocketError error)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(from);
        int fd = (int)socket.DangerousGetHandle();
        var address = from.Buffer.Span;
        while (true)
        {
            int length = address.Length;
            nint received;
            fixed (byte* data = buffer)
            fixed (byte* sender = address)
            {
                received = RecvFrom(fd, data, (nuint)buffer.Length, MSG_DONTWAIT, sender, &length);
            }

            if (received >= 0)
            {
                error = SocketError.Success;
                return (int)received;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno != EINTR)
            {
                error = ErrorOf(errno);
                return -1;
            }
        }
    }

    /// <summary>
    /// Sends one datagram on a connected socket (to its peer; <see cref="SocketError.WouldBlock"/> when the send buffer
    /// is full). Cheaper than <see cref="SendTo"/> to the same peer: without an address the kernel uses the route it
    /// keeps for the connected socket instead of looking one up per datagram.
    /// </summary>
    public static SocketError Send(SafeHandle socket, ReadOnlySpan<byte> datagram) => SendCore(socket, datagram, []);

    /// <summary>Sends one datagram to <paramref name="to"/>; <see cref="SocketError.WouldBlock"/> when the socket's send buffer is full.</summary>
    public static SocketError SendTo(SafeHandle socket, ReadOnlySpan<byte> datagram, SocketAddress to)
    {
        ArgumentNullException.ThrowIfNull(to);
        return SendCore(socket, datagram, to.Buffer.Span[..to.Size]);
    }

    /// <summary>sendto(2) with MSG_DONTWAIT, retried on EINTR; an empty <paramref name="address"/> passes none (a connected socket's peer).</summary>
    private static unsafe SocketError SendCore(SafeHandle socket, ReadOnlySpan<byte> datagram, ReadOnlySpan<byte> address)
    {
        ArgumentNullException.ThrowIfNull(socket);
        int fd = (int)socket.DangerousGetHandle();
        while (true)
        {
            nint sent;
            fixed (byte* data = datagram)
            fixed (byte* target = address)
            {
                sent = SendToCore(fd, data, (nuint)datagram.Length, MSG_DONTWAIT, address.IsEmpty ? null : target, address.Length);
            }

            if (sent >= 0)
            {
                return SocketError.Success;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno != EINTR)
            {
                return ErrorOf(errno);
            }
        }
    }

    /// <summary>The errno as the <see cref="SocketError"/> the runtime would report for it (EAGAIN as WouldBlock).</summary>
    private static SocketError ErrorOf(int errno) =>
        errno == EAGAIN ? SocketError.WouldBlock : errno switch
    {
        1 or 13 => SocketError.AccessDenied, // EPERM, EACCES (a firewall's refusal)
        9 => SocketError.OperationAborted, // EBADF
        22 => SocketError.InvalidArgument, // EINVAL
        90 => SocketError.MessageSize, // EMSGSIZE
        97 => SocketError.AddressFamilyNotSupported, // EAFNOSUPPORT
        99 => SocketError.AddressNotAvailable, // EADDRNOTAVAIL
        100 => SocketError.NetworkDown, // ENETDOWN
        101 => SocketError.NetworkUnreachable, // ENETUNREACH
        105 => SocketError.NoBufferSpaceAvailable, // ENOBUFS
        111 => SocketError.ConnectionRefused, // ECONNREFUSED (an ICMP port unreachable)
        113 => SocketError.HostUnreachable, // EHOSTUNREACH
        _ => SocketError.SocketError,
    };

    [LibraryImport("libc", EntryPoint = "recvfrom", SetLastError = true)]
    private static unsafe partial nint RecvFrom(int fd, byte* buffer, nuint length, int flags, byte* from, int* fromLength);

    [LibraryImport("libc", EntryPoint = "sendto", SetLastError = true)]
    private static unsafe partial nint SendToCore(int fd, byte* buffer, nuint length, int flags, byte* to, int toLength);
}
