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

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static unsafe partial nint Recv(int fd, byte* buffer, nint length, int flags);
}
