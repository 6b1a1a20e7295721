using System.Buffers;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Windsock.Server.Relay;

/// <summary>
/// splice(2) on Linux: socket → pipe → socket, the bytes stay in the kernel.
/// <para>
/// A direction waits for readability with a zero-byte receive (as the copy loop does), takes an empty pipe
/// from the pool, moves one burst (splice in, splice out, until the source says EAGAIN) and gives the pipe
/// back, so an idle session holds no pipe.
/// </para>
/// <para>
/// .NET has no "wait until writable". When the destination's send buffer is full (splice out says EAGAIN),
/// a chunk of what the pipe holds is read into a pooled buffer and handed to SendAsync, which does wait;
/// then splicing resumes. That copy happens only under back-pressure.
/// </para>
/// <para>
/// A socket that refuses splice before any byte moved (EINVAL, ENOSYS, EOPNOTSUPP), on either end, or no
/// pipe to be had, sends this direction to the copy loop, after what the pipe holds went out.
/// </para>
/// </summary>
internal sealed class SpliceStrategy : RelayStrategy
{
    private static SpliceStrategy? _last;
    private readonly CopyStrategy _fallback;

    private SpliceStrategy(CopyStrategy fallback) => _fallback = fallback;

    /// <summary>How a burst ended.</summary>
    private enum Burst
    {
        /// <summary>The source has nothing more queued and the pipe is empty: wait for the next burst.</summary>
        Drained,

        /// <summary>This direction is done (FIN passed on, the source failed, the relay stopped); the pipe is empty.</summary>
        Finished,

        /// <summary>This direction is done because the sink failed: the pipe may still hold bytes.</summary>
        Abandoned,

        /// <summary>A socket refuses splice; the pipe is empty: go on with the copy loop.</summary>
        CopyInstead,
    }

    /// <summary>One instance per buffer size in use (its copy fallback's): nothing allocated per session.</summary>
    public static SpliceStrategy For(int bufferSize)
    {
        var last = Volatile.Read(ref _last);
        if (last is null || last._fallback.BufferSize != bufferSize)
        {
            last = new SpliceStrategy(CopyStrategy.For(bufferSize));
            Volatile.Write(ref _last, last);
        }

        return last;
    }

    /// <summary>
    /// Splices until the direction is finished, then hands over to the copy loop if a socket refused splice. One
    /// method (one state machine) for both: it lives as long as the session, idle or not.
    /// </summary>
    public override async Task PumpAsync(TcpRelay relay, RelayDirection direction)
    {
        var from = direction.From;
        var to = direction.To;
        SplicePipe pipe = default;
        bool havePipe = false;
        bool pipeEmpty = true;
        bool copyInstead = false;
        long moved = 0;
        bool fromReferenced = false;
        bool toReferenced = false;
        try
        {
            // Held for the life of the pump, so the descriptor numbers cannot be closed and reused under us.
            from.SafeHandle.DangerousAddRef(ref fromReferenced);
            to.SafeHandle.DangerousAddRef(ref toReferenced);
            var ends = new Ends((int)from.SafeHandle.DangerousGetHandle(), (int)to.SafeHandle.DangerousGetHandle());
            while (!copyInstead)
            {
                // Wait for readability holding nothing: idle sessions cost no pipe, no buffer and (parked) no receive.
                await relay.WaitReadableAsync(direction).ConfigureAwait(false);
                if (relay.Stopped)
                {
                    return;
                }

                if (!havePipe)
                {
                    if (!SplicePipePool.TryRent(out pipe))
                    {
                        copyInstead = true;
                        continue;
                    }

                    havePipe = true;
                }

                pipeEmpty = false;
                var (burst, burstMoved) = await MoveBurstAsync(relay, direction, ends, pipe, moved).ConfigureAwait(false);
                moved += burstMoved;
                switch (burst)
                {
                    case Burst.Drained:
                        // The pipe is empty again and goes back for the next burst, of any session.
                        pipeEmpty = true;
                        SplicePipePool.Return(pipe);
                        havePipe = false;
                        break;
                    case Burst.CopyInstead:
                        pipeEmpty = true;
                        copyInstead = true;
                        break;
                    case Burst.Finished:
                        pipeEmpty = true;
                        return;
                    default:
                        return;
                }
            }
        }
        finally
        {
            if (havePipe)
            {
                if (pipeEmpty)
                {
                    SplicePipePool.Return(pipe);
                }
                else
                {
                    // The sink failed in the middle of a burst, or the burst threw: bytes may be left in it.
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
        }

        // A socket refuses splice (or no pipe to be had): the copy loop takes over, after what the pipe held went out.
        await _fallback.PumpAsync(relay, direction).ConfigureAwait(false);
    }

    /// <summary>
    /// Splice in, splice out, until the source says EAGAIN (<see cref="Burst.Drained"/>, the pipe empty). Returns
    /// how the burst ended and the bytes it delivered. <paramref name="movedBefore"/> tells whether a refusal
    /// can still mean "no splice here" (nothing moved yet) rather than a failure.
    /// </summary>
    private async ValueTask<(Burst Burst, long Moved)> MoveBurstAsync(TcpRelay relay, RelayDirection direction, Ends ends, SplicePipe pipe, long movedBefore)
    {
        long moved = 0;
        bool sinkRefuses = false;
        while (true)
        {
            if (relay.Stopped)
            {
                return (Burst.Finished, moved);
            }

            nint received = LinuxSplice.Splice(ends.Source, pipe.WriteFd, (nuint)pipe.Capacity, LinuxSplice.Flags);
            if (received == 0)
            {
                TcpRelay.PassOnFin(direction.To);
                return (Burst.Finished, moved);
            }

            if (received < 0)
            {
                int error = Marshal.GetLastPInvokeError();
                if (error == LinuxSplice.EINTR)
                {
                    continue;
                }

                if (error == LinuxSplice.EAGAIN)
                {
                    return (sinkRefuses ? Burst.CopyInstead : Burst.Drained, moved);
                }

                if (movedBefore + moved == 0 && RefusesSplice(error))
                {
                    return (Burst.CopyInstead, moved);
                }

                relay.Fail(direction.FromSide);
                return (Burst.Finished, moved);
            }

            relay.Touch();
            long inPipe = received;
            while (inPipe > 0)
            {
                nint sent = sinkRefuses ? -1 : LinuxSplice.Splice(pipe.ReadFd, ends.Sink, (nuint)inPipe, LinuxSplice.Flags);
                int error = sent < 0 && !sinkRefuses ? Marshal.GetLastPInvokeError() : 0;
                if (sent > 0)
                {
                    inPipe -= sent;
                    moved += sent;
                    relay.CountMoved(direction, sent);
                    continue;
                }

                if (error == LinuxSplice.EINTR)
                {
                    continue;
                }

                if (!sinkRefuses && error != LinuxSplice.EAGAIN)
                {
                    if (movedBefore + moved != 0 || !RefusesSplice(error))
                    {
                        // EPIPE, ECONNRESET: the destination is gone.
                        relay.Fail(direction.ToSide);
                        return (Burst.Abandoned, moved);
                    }

                    // The sink refuses splice: what the pipe holds goes out through a buffer, then the copy loop.
                    sinkRefuses = true;
                }

                // Back-pressure (EAGAIN) or a refusing sink: a chunk through a pooled buffer, with a waiting send.
                int chunk = await SendFromPipeAsync(pipe, (int)Math.Min(inPipe, _fallback.BufferSize), direction.To, relay.Shutdown).ConfigureAwait(false);
                if (chunk < 0)
                {
                    relay.Fail(direction.ToSide);
                    return (Burst.Abandoned, moved);
                }

                inPipe -= chunk;
                moved += chunk;
                relay.CountMoved(direction, chunk);
            }

            if (sinkRefuses)
            {
                return (Burst.CopyInstead, moved);
            }
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

    /// <summary>The two descriptors a direction splices between, read once per pump.</summary>
    private readonly record struct Ends(int Source, int Sink);
}
