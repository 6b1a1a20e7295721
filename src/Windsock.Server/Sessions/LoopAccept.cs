using System.Net.Sockets;

namespace Windsock.Server.Sessions;

/// <summary>
/// The accept loop's accept on the <see cref="HandshakeLoop"/> (Linux): a one-shot wait for the listener's
/// readability, then one accept(2) on the non-blocking listener, so the accept loop (and a session it starts, up to the
/// session's first wait) runs on the loop thread that saw the connection, with no hand-off from the socket engine.
/// Elsewhere, or with the loop off, the engine's AcceptAsync as before. Errors are the same exceptions either way.
/// </summary>
internal static class LoopAccept
{
    /// <summary>The listener's wait, or null to accept through the socket engine; makes the listener non-blocking.</summary>
    public static LoopWait? WaitFor(Socket listener)
    {
        if (LoopWait.For(listener) is not { } wait)
        {
            return null;
        }

        // Accepted sockets inherit this (.NET sets O_NONBLOCK on them, as its first asynchronous call would).
        listener.Blocking = false;
        return wait;
    }

    public static ValueTask<Socket> AcceptAsync(Socket listener, LoopWait? wait, CancellationToken cancellationToken) =>
        wait is null ? listener.AcceptAsync(cancellationToken) : OnLoopAsync(listener, wait, cancellationToken);

    private static async ValueTask<Socket> OnLoopAsync(Socket listener, LoopWait wait, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (!wait.TryWait(LoopWait.Readable, cancellationToken, out var readable))
            {
                // The epoll set refused the listener: the socket engine, for this one accept.
                return await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }

            await readable.ConfigureAwait(false);
            try
            {
                return listener.Accept();
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
            {
                // The queued connection went away before it was taken: wait again.
            }
        }
    }
}
