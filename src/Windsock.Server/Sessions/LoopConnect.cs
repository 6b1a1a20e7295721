using System.Net;
using System.Net.Sockets;
using Windsock.Server.Outbound;

namespace Windsock.Server.Sessions;

/// <summary>
/// An outbound connect that waits on the <see cref="HandshakeLoop"/> (Linux): a non-blocking connect(2), asked at once
/// whether it is over already (it is, on this host), else a one-shot wait for writability; SO_ERROR for the outcome, and
/// the session goes on on the loop thread that saw it. The connect(2) is made through <see cref="ConnectNative"/>, not
/// .NET, so the <see cref="Socket"/> is not told it is connected: <see cref="ConnectNative.LocalEndPointOf"/> gives the
/// address it left from.
/// Elsewhere (or with the loop off) the .NET socket engine's connect, through a pooled argument that leaves nothing
/// cached on the socket (<see cref="PooledConnect"/>). Either way the outcome is the same
/// exceptions: a <see cref="SocketException"/> with the error, <see cref="OperationCanceledException"/> when the token
/// (the connect timeout, shutdown) fires first.
/// </summary>
internal static class LoopConnect
{
    public static ValueTask ConnectAsync(Socket socket, IPEndPoint target, CancellationToken cancellationToken) =>
        LoopWait.For(socket) is { } wait ? OnLoopAsync(socket, wait, target, cancellationToken) : PooledConnect.ConnectAsync(socket, target, cancellationToken);

    private static async ValueTask OnLoopAsync(Socket socket, LoopWait wait, IPEndPoint target, CancellationToken cancellationToken)
    {
        using var _ = wait;
        cancellationToken.ThrowIfCancellationRequested();

        // The descriptor is made non-blocking here rather than by the runtime's first asynchronous call (the same
        // fcntl), so .NET's later calls on it know. The connect itself is ours: Socket.Connect would throw for "in
        // progress", its usual answer, at a fifth of the connection's user time (ConnectNative says what it costs).
        socket.Blocking = false;
        int error = ConnectNative.Connect(wait.Handle, target);
        if (error == 0)
        {
            return;
        }

        if (error != ConnectNative.EINPROGRESS)
        {
            throw new SocketException((int)ConnectNative.SocketErrorOf(error));
        }

        // A destination on this host has answered before connect(2) returned (loopback runs the whole three-way
        // handshake, or the refusal, inside the call): asked at once, the session goes on here, without arming a wait,
        // an epoll_ctl and a wake of whichever loop thread the report would reach. A remote one costs this one check.
        while (!ConnectNative.Finished(socket))
        {
            if (!wait.TryWait(LoopWait.Writable, cancellationToken, out var writable))
            {
                // The epoll set refused the socket (out of kernel memory, max_user_watches): said as the failure it is.
                throw new SocketException((int)SocketError.NoBufferSpaceAvailable);
            }

            await writable.ConfigureAwait(false);
        }
    }
}
