using System.Buffers;
using System.Runtime.InteropServices;
using Windsock.Server.Sessions;

namespace Windsock.Server.Relay;

internal sealed partial class LoopRelay
{
    /// <summary>
    /// Moves what <paramref name="lane"/> can move now: out what it holds while the sink takes it, then the next burst
    /// from the source, until a socket says EAGAIN (its readiness flag cleared: the next report sets it), the direction
    /// is finished, or the turn's <paramref name="budget"/> is spent (false: bytes are still waiting).
    /// </summary>
    private bool Pump(ref Lane lane, bool upstream, ref long budget)
    {
        int from = upstream ? _clientFd : _destinationFd;
        int to = upstream ? _destinationFd : _clientFd;
        ref bool canRead = ref upstream ? ref _clientCanRead : ref _destinationCanRead;
        ref bool canWrite = ref upstream ? ref _destinationCanWrite : ref _clientCanWrite;
        var sourceSide = upstream ? RelaySide.Client : RelaySide.Destination;
        var sinkSide = upstream ? RelaySide.Destination : RelaySide.Client;

        while (!lane.Done && !Stopped)
        {
            if (lane.Held > 0)
            {
                if (!canWrite)
                {
                    return true;
                }

                nint sent = lane.Copy
                    ? LoopNative.SendNow(to, lane.Buffer.AsSpan(lane.BufferStart, lane.Held))
                    : LinuxSplice.Splice(lane.Pipe.ReadFd, to, (nuint)lane.Held, LinuxSplice.Flags);
                if (sent > 0)
                {
                    lane.Sent((int)sent);
                    if (upstream)
                    {
                        _record.AddBytesUp(sent);
                    }
                    else
                    {
                        _record.AddBytesDown(sent);
                    }

                    budget -= sent;
                    if (budget <= 0)
                    {
                        return false;
                    }

                    continue;
                }

                int error = Marshal.GetLastPInvokeError();
                if (sent < 0 && error == LinuxSplice.EINTR)
                {
                    continue;
                }

                if (sent < 0 && error == LinuxSplice.EAGAIN)
                {
                    canWrite = false;
                    WatchWritable(destination: upstream);
                    return true;
                }

                // EPIPE, ECONNRESET: the sink is gone, with bytes still held (a pipe that holds some is discarded).
                lane.Done = true;
                Fail(sinkSide);
                return true;
            }

            // Nothing held: what was held goes back for others' bursts.
            lane.ReleaseEmpty();
            if (lane.SourceEnded)
            {
                TcpRelay.PassOnFin(upstream ? _destination : _client);
                lane.Done = true;
                return true;
            }

            if (!canRead)
            {
                return true;
            }

            if (budget <= 0)
            {
                return false;
            }

            if (!lane.Copy && !lane.HasPipe && !lane.TryRentPipe())
            {
                // No pipe to be had (descriptors, the pipe quota): this direction goes on copying.
                lane.Copy = true;
            }

            nint received = lane.Copy
                ? LoopNative.ReceiveNow(from, lane.RentBuffer(_copyBufferSize))
                : LinuxSplice.Splice(from, lane.Pipe.WriteFd, (nuint)lane.Pipe.Capacity, LinuxSplice.Flags);
            if (received > 0)
            {
                lane.Received((int)received);
                Touch();
                continue;
            }

            if (received == 0)
            {
                lane.SourceEnded = true;
                continue;
            }

            int readError = Marshal.GetLastPInvokeError();
            if (readError == LinuxSplice.EINTR)
            {
                continue;
            }

            if (readError == LinuxSplice.EAGAIN)
            {
                canRead = false;
                lane.ReleaseEmpty();
                return true;
            }

            if (!lane.Copy && lane.Moved == 0 && SpliceStrategy.RefusesSplice(readError))
            {
                // A socket that refuses splice before any byte moved: this direction copies instead.
                lane.ReleaseEmpty();
                lane.Copy = true;
                continue;
            }

            lane.Done = true;
            Fail(sourceSide);
            return true;
        }

        return true;
    }

    /// <summary>
    /// One direction's state: the bytes it holds between the receive and the send (in a pooled pipe, or a pooled
    /// buffer when copying), whether its source has sent FIN, whether it is finished. A value inside the relay, so
    /// a relay is one object.
    /// </summary>
    private struct Lane
    {
        public SplicePipe Pipe;
        public bool HasPipe;
        public byte[]? Buffer;
        public int BufferStart;
        public int Held;
        public bool Copy;
        public bool SourceEnded;
        public bool Done;
        public long Moved;

        public bool TryRentPipe()
        {
            HasPipe = SplicePipePool.TryRent(out Pipe);
            return HasPipe;
        }

        public Span<byte> RentBuffer(int size)
        {
            Buffer ??= ArrayPool<byte>.Shared.Rent(size);
            BufferStart = 0;
            return Buffer.AsSpan(0, Math.Min(size, Buffer.Length));
        }

        public void Received(int count) => Held = count;

        public void Sent(int count)
        {
            Held -= count;
            BufferStart += count;
            Moved += count;
        }

        /// <summary>Gives back the pipe or buffer once it holds nothing: an idle direction holds neither.</summary>
        public void ReleaseEmpty()
        {
            if (Held != 0)
            {
                return;
            }

            if (HasPipe)
            {
                HasPipe = false;
                SplicePipePool.Return(Pipe);
            }

            if (Buffer is { } buffer)
            {
                Buffer = null;
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        /// <summary>At the relay's end: an empty pipe goes back, one that may still hold bytes is closed.</summary>
        public void Release()
        {
            if (HasPipe && Held != 0)
            {
                HasPipe = false;
                SplicePipePool.Discard(Pipe);
            }

            Held = 0;
            ReleaseEmpty();
        }
    }
}
