using System.Runtime.InteropServices;

namespace Windsock.Server.Sessions;

/// <summary>
/// The system calls the handshake loop needs besides Relay/LinuxEpoll's: a receive that never blocks whatever the
/// socket's mode (<c>MSG_DONTWAIT</c>), so a handshake can try its socket without the .NET socket engine and
/// without changing the descriptor's flags, and the epoll events for an outbound connect.
/// </summary>
internal static partial class LoopNative
{
    public const uint EPOLLOUT = 0x004;
    public const int EAGAIN = 11;
    public const int EINTR = 4;
    private const int MSG_DONTWAIT = 0x40;
    private const int MSG_NOSIGNAL = 0x4000;
    private const int EPIPE = 32;
    private const int ECONNRESET = 104;
    private const int ENOTCONN = 107;
    private const int ETIMEDOUT = 110;

    /// <summary>The exception .NET's own receive would have thrown for <paramref name="errno"/>, so session end reasons read the same.</summary>
    public static System.Net.Sockets.SocketException ToException(int errno) => new((int)(errno switch
    {
        ECONNRESET => System.Net.Sockets.SocketError.ConnectionReset,
        ETIMEDOUT => System.Net.Sockets.SocketError.TimedOut,
        ENOTCONN => System.Net.Sockets.SocketError.NotConnected,
        EPIPE => System.Net.Sockets.SocketError.Shutdown,
        _ => System.Net.Sockets.SocketError.SocketError,
    }));

    /// <summary>recv(2) with MSG_DONTWAIT: bytes read, 0 at end of stream, or -1 with errno in <see cref="Marshal.GetLastPInvokeError"/>.</summary>
    public static unsafe int ReceiveNow(SafeHandle socket, Span<byte> buffer)
    {
        bool referenced = false;
        try
        {
            socket.DangerousAddRef(ref referenced);
            fixed (byte* pointer = buffer)
            {
                int read;
                do
                {
                    read = (int)Recv((int)socket.DangerousGetHandle(), pointer, buffer.Length, MSG_DONTWAIT);
                }
                while (read < 0 && Marshal.GetLastPInvokeError() == EINTR);

                return read;
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
    /// send(2) with MSG_DONTWAIT: bytes sent (perhaps fewer than asked), or -1 with errno. For the bytes a client sent
    /// behind its request, which nearly always fit the fresh socket's send buffer at once: no socket-engine send,
    /// which would register the descriptor with the engine's own epoll set for the rest of its life.
    /// </summary>
    public static unsafe int SendNow(SafeHandle socket, ReadOnlySpan<byte> buffer)
    {
        bool referenced = false;
        try
        {
            socket.DangerousAddRef(ref referenced);
            return SendNow((int)socket.DangerousGetHandle(), buffer);
        }
        finally
        {
            if (referenced)
            {
                socket.DangerousRelease();
            }
        }
    }

    /// <summary>send(2) on a descriptor its caller holds a reference to; as <see cref="SendNow(SafeHandle, ReadOnlySpan{byte})"/>.</summary>
    public static unsafe int SendNow(int fd, ReadOnlySpan<byte> buffer)
    {
        fixed (byte* pointer = buffer)
        {
            int sent;
            do
            {
                sent = (int)Send(fd, pointer, buffer.Length, MSG_DONTWAIT | MSG_NOSIGNAL);
            }
            while (sent < 0 && Marshal.GetLastPInvokeError() == EINTR);

            return sent;
        }
    }

    /// <summary>recv(2) with MSG_DONTWAIT on a descriptor its caller holds a reference to.</summary>
    public static unsafe int ReceiveNow(int fd, Span<byte> buffer)
    {
        fixed (byte* pointer = buffer)
        {
            int read;
            do
            {
                read = (int)Recv(fd, pointer, buffer.Length, MSG_DONTWAIT);
            }
            while (read < 0 && Marshal.GetLastPInvokeError() == EINTR);

            return read;
        }
    }

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    private static unsafe partial nint Send(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static unsafe partial nint Recv(int fd, byte* buffer, nint length, int flags);
}
