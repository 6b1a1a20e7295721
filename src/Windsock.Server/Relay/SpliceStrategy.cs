using System.Buffers;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Windsock.Server.Relay;

/// <summary>
/// splice(2) on Linux: socket → pipe → socket, the bytes stay in the kernel.
/// <para>
/// A direction waits for readability (parked, or with a zero-byte receive as the copy loop does), takes an empty pipe
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

    /// <summary>The copy loop a direction goes on with when a socket refuses splice.</summary>
    internal CopyStrategy Fallback => _fallback;

    /// <summary>How a burst ended.</summary>
    internal enum Burst
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

    public override string Name => "splice";

    /// <summary>
    /// Splices until the direction is finished, then hands over to the copy loop if a socket refused splice: a
    /// <see cref="SplicePump"/>, which holds no state machine while its direction is parked.
    /// </summary>
    public override Task PumpAsync(TcpRelay relay, RelayDirection direction) => RunAsync(relay, direction).AsTask();

    /// <summary>The pump handles its own failures (and leaves the epoll set) itself: nothing awaits it but the relay.</summary>
    public override ValueTask RunAsync(TcpRelay relay, RelayDirection direction) => new SplicePump(this, relay, direction).Start();

    /// <summary>
    /// Splice in, splice out, until the source says EAGAIN (<see cref="Burst.Drained"/>, the pipe empty). Returns
    /// how the burst ended and the bytes it delivered. <paramref name="movedBefore"/> tells whether a refusal
    /// can still mean "no splice here" (nothing moved yet) rather than a failure.
    /// </summary>
    internal async ValueTask<(Burst Burst, long Moved)> MoveBurstAsync(TcpRelay relay, RelayDirection direction, Ends ends, SplicePipe pipe, long movedBefore)
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
    internal static bool RefusesSplice(int errno) => errno is LinuxSplice.EINVAL or LinuxSplice.ENOSYS or LinuxSplice.EOPNOTSUPP;

    /// <summary>The two descriptors a direction splices between, read once per pump.</summary>
    internal readonly record struct Ends(int Source, int Sink);
}
