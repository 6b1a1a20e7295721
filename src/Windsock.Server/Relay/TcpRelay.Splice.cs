using System.Buffers;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Windsock.Server.Relay;

public sealed partial class TcpRelay
{
    /// <summary>
    /// One direction with splice(2): wait for readability with a zero-byte receive (as the copy loop does),
    /// take an empty pipe from the pool, then splice socket → pipe → socket until the source says EAGAIN,
    /// and give the pipe back. The bytes stay in the kernel.
    /// <para>
    /// .NET has no "wait until writable". When the destination's send buffer is full (splice out says
    /// EAGAIN), a chunk of what the pipe holds is read into a pooled buffer and handed to SendAsync, which
    /// does wait; then splicing resumes. That copy happens only under back-pressure.
    /// </para>
    /// <para>
    /// A socket that refuses splice before any byte moved (EINVAL, ENOSYS, EOPNOTSUPP), on either end, or
    /// no pipe to be had, sends this direction to the copy loop.
    /// </para>
    /// </summary>
    private async Task SplicePumpAsync(Socket from, Socket to, bool upstream)
    {
        SplicePipe pipe = default;
        bool havePipe = false;
        long inPipe = 0;
        long moved = 0;
        bool fromReferenced = false;
        bool toReferenced = false;
        bool copyInstead = false;
        try
        {
            // Held for the life of the pump, so the descriptor numbers cannot be closed and reused under us.
            from.SafeHandle.DangerousAddRef(ref fromReferenced);
            to.SafeHandle.DangerousAddRef(ref toReferenced);
            int source = (int)from.SafeHandle.DangerousGetHandle();
            int sink = (int)to.SafeHandle.DangerousGetHandle();
            while (true)
            {
                // Wait for readability holding nothing: idle sessions cost no pipe and no buffer.
                await from.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, _shutdown).ConfigureAwait(false);
                if (Stopped)
                {
                    return;
                }

                if (!havePipe)
                {
                    if (!SplicePipePool.TryRent(out pipe))
                    {
                        copyInstead = true;
                        break;
                    }

                    havePipe = true;
                }

                while (true)
                {
                    if (Stopped)
                    {
                        return;
                    }

                    nint received = LinuxSplice.Splice(source, pipe.WriteFd, (nuint)pipe.Capacity, LinuxSplice.Flags);
                    if (received > 0)
                    {
                        Volatile.Write(ref _lastActivity, _time.GetTimestamp());
                        inPipe = received;
                        while (inPipe > 0)
                        {
                            nint sent = LinuxSplice.Splice(pipe.ReadFd, sink, (nuint)inPipe, LinuxSplice.Flags);
                            if (sent > 0)
                            {
                                inPipe -= sent;
                                moved += sent;
                                continue;
                            }

                            int sendError = Marshal.GetLastPInvokeError();
                            if (sent < 0 && sendError == LinuxSplice.EINTR)
                            {
                                continue;
                            }

                            if (sent < 0 && sendError == LinuxSplice.EAGAIN)
                            {
                                int chunk = await SendFromPipeAsync(pipe, (int)Math.Min(inPipe, _bufferSize), to, _shutdown).ConfigureAwait(false);
                                if (chunk < 0)
                                {
                                    Fail(upstream ? 2 : 1);
                                    return;
                                }

                                inPipe -= chunk;
                                moved += chunk;
                                continue;
                            }

                            if (moved == 0 && RefusesSplice(sendError))
                            {
                                // The destination refuses splice: hand on what the pipe holds, then copy.
                                while (inPipe > 0)
                                {
                                    int chunk = await SendFromPipeAsync(pipe, (int)Math.Min(inPipe, _bufferSize), to, _shutdown).ConfigureAwait(false);
                                    if (chunk < 0)
                                    {
                                        Fail(upstream ? 2 : 1);
                                        return;
                                    }

                                    inPipe -= chunk;
                                    moved += chunk;
                                }

                                copyInstead = true;
                                break;
                            }

                            // EPIPE, ECONNRESET: the destination is gone.
                            Fail(upstream ? 2 : 1);
                            return;
                        }

                        if (copyInstead)
                        {
                            break;
                        }

                        continue;
                    }

                    if (received == 0)
                    {
                        // FIN from this side: pass it on and let the other direction finish on its own.
                        ShutdownSend(to);
                        return;
                    }

                    int error = Marshal.GetLastPInvokeError();
                    if (error == LinuxSplice.EINTR)
                    {
                        continue;
                    }

                    if (error == LinuxSplice.EAGAIN)
                    {
                        break;
                    }

                    if (moved == 0 && RefusesSplice(error))
                    {
                        copyInstead = true;
                        break;
                    }

                    Fail(upstream ? 1 : 2);
                    return;
                }

                if (copyInstead)
                {
                    break;
                }

                // Drained: the pipe is empty again and goes back for the next burst, of any session.
                SplicePipePool.Return(pipe);
                havePipe = false;
            }
        }
        catch (OperationCanceledException)
        {
            // Server shutdown.
        }
        catch (SocketException)
        {
            Fail(upstream ? 1 : 2);
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            if (havePipe)
            {
                if (inPipe == 0)
                {
                    SplicePipePool.Return(pipe);
                }
                else
                {
                    SplicePipePool.Discard(pipe);
                }
            }

            if (fromReferenced)
            {
                from.SafeHandle.DangerousRelease();
            }

            if (toReferenced)
            {
                to.SafeHandle.DangerousRelease();
            }

            if (upstream)
            {
                _record.AddBytesUp(moved);
            }
            else
            {
                _record.AddBytesDown(moved);
            }
        }

        if (copyInstead)
        {
            await PumpAsync(from, to, upstream).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Moves up to <paramref name="count"/> bytes from the pipe to <paramref name="to"/> through a pooled buffer,
    /// waiting for the socket to take them. Returns the bytes sent, or -1 when they could not be sent.
    /// </summary>
    private static async ValueTask<int> SendFromPipeAsync(SplicePipe pipe, int count, Socket to, CancellationToken shutdown)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(count);
        try
        {
            nint read;
            do
            {
                read = LinuxSplice.Read(pipe.ReadFd, buffer.AsSpan(0, count));
            }
            while (read < 0 && Marshal.GetLastPInvokeError() == LinuxSplice.EINTR);

            if (read <= 0)
            {
                // Cannot happen: the pipe held bytes a moment ago and nothing else reads it. End the relay
                // rather than lose bytes silently.
                return -1;
            }

            try
            {
                await to.SendAsync(buffer.AsMemory(0, (int)read), SocketFlags.None, shutdown).ConfigureAwait(false);
            }
            catch (SocketException)
            {
                return -1;
            }

            return (int)read;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // What splice(2) answers for a descriptor it cannot serve (no splice support, O_APPEND, an old kernel).
    private static bool RefusesSplice(int errno) => errno is LinuxSplice.EINVAL or LinuxSplice.ENOSYS or LinuxSplice.EOPNOTSUPP;

    private static void ShutdownSend(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // The other side is already gone; its own pump reports that.
        }
    }
}
