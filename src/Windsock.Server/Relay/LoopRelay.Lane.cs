using System.Buffers;
using System.Runtime.InteropServices;
using Windsock.Server.Sessions;

namespace Windsock.Server.Relay;

internal sealed partial class LoopRelay
{
    /// <summary>
    /// What a spliced direction copies through the loop thread's scratch buffer before it starts splicing: a burst
    /// that fits is cheaper copied (a receive and a send) than spliced (a splice in, a splice out, a splice that says
    /// EAGAIN, and a pipe from the pool). A read that fills it is a bulk transfer: the direction splices from then on.
    /// </summary>
    internal const int SmallBurst = 16 * 1024;

    [ThreadStatic]
    private static byte[]? _scratch;

    /// <summary>
    /// Moves what <paramref name="lane"/> can move now: out what it holds while the sink takes it, then the next burst
    /// from the source, until a socket has nothing more (EAGAIN, or a short read: its readiness flag cleared, the next
    /// report sets it), the direction is finished, or the turn's <paramref name="budget"/> is spent (false: bytes are
    /// still waiting).
    /// </summary>
    private bool Pump(ref Lane lane, bool upstream, ref long budget)
    {
        int from = upstream ? _clientFd : _destinationFd;
        int to = upstream ? _destinationFd : _clientFd;
        ref bool canRead = ref upstream ? ref _clientCanRead : ref _destinationCanRead;
        ref bool canWrite = ref upstream ? ref _destinationCanWrite : ref _clientCanWrite;
        bool sourceHungUp = upstream ? _clientHungUp : _destinationHungUp;
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

                nint sent = lane.HasPipe
                    ? LinuxSplice.Splice(lane.Pipe.ReadFd, to, (nuint)lane.Held, LinuxSplice.Flags)
                    : LoopNative.SendNow(to, lane.Buffer.AsSpan(lane.BufferStart, lane.Held));
                if (sent > 0)
                {
                    lane.Sent((int)sent);
                    Count(upstream, sent, ref budget);
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

            if (lane.Spliced && !lane.HasPipe && !lane.TryRentPipe())
            {
                // No pipe to be had (descriptors, the pipe quota): this direction goes on copying.
                lane.Spliced = false;
                lane.Copy = true;
            }

            if (!lane.Spliced)
            {
                if (!CopyBurst(ref lane, from, to, upstream, sourceHungUp, ref canRead, ref canWrite, ref budget))
                {
                    return true;
                }

                continue;
            }

            nint received = LinuxSplice.Splice(from, lane.Pipe.WriteFd, (nuint)lane.Pipe.Capacity, LinuxSplice.Flags);
            if (received > 0)
            {
                lane.Held = (int)received;
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

            if (lane.Moved == 0 && SpliceStrategy.RefusesSplice(readError))
            {
                // A socket that refuses splice before any byte moved: this direction copies instead.
                lane.ReleaseEmpty();
                lane.Spliced = false;
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
    /// One burst through the loop thread's scratch buffer: a receive, then at once a send of what came; whatever the
    /// sink did not take is kept in a pooled buffer of its size, held until the sink is writable. A receive shorter than
    /// the buffer drained the socket (TCP copies all it has queued), so no call is spent to hear EAGAIN: bytes that come
    /// later are reported anew, edge-triggered. Not after a hang-up was reported, whose end of stream must still be read.
    /// False when the direction stopped or waits; true to go on.
    /// </summary>
    private bool CopyBurst(ref Lane lane, int from, int to, bool upstream, bool sourceHungUp, ref bool canRead, ref bool canWrite, ref long budget)
    {
        int size = lane.Copy ? _copyBufferSize : SmallBurst;
        var scratch = Scratch(size);
        int received = LoopNative.ReceiveNow(from, scratch);
        if (received == 0)
        {
            lane.SourceEnded = true;
            return true;
        }

        if (received < 0)
        {
            if (Marshal.GetLastPInvokeError() == LinuxSplice.EAGAIN)
            {
                canRead = false;
                return false;
            }

            lane.Done = true;
            Fail(upstream ? RelaySide.Client : RelaySide.Destination);
            return false;
        }

        Touch();
        if (!lane.Copy && received == size && SplicePipePool.IsSupported)
        {
            // A full small burst: bulk data. The next bursts of this direction splice.
            lane.Spliced = true;
        }

        int sent = LoopNative.SendNow(to, scratch[..received]);
        int error = sent < 0 ? Marshal.GetLastPInvokeError() : 0;
        if (sent < 0 && error != LinuxSplice.EAGAIN)
        {
            // EPIPE, ECONNRESET: the sink is gone; what was received is lost with it, as when a send fails.
            lane.Done = true;
            Fail(upstream ? RelaySide.Destination : RelaySide.Client);
            return false;
        }

        sent = Math.Max(sent, 0);
        lane.Moved += sent;
        Count(upstream, sent, ref budget);
        bool drained = received < scratch.Length && !sourceHungUp;
        if (sent < received)
        {
            lane.Hold(scratch[sent..received]);
            canWrite = false;
            WatchWritable(destination: upstream);
            canRead = !drained;
            return false;
        }

        if (drained)
        {
            canRead = false;
            return false;
        }

        return true;
    }

    private void Count(bool upstream, nint bytes, ref long budget)
    {
        if (bytes == 0)
        {
            return;
        }

        if (upstream)
        {
            _record.AddBytesUp(bytes);
        }
        else
        {
            _record.AddBytesDown(bytes);
        }

        budget -= bytes;
    }

    private static Span<byte> Scratch(int size)
    {
        if (_scratch is not { } scratch || scratch.Length < size)
        {
            scratch = _scratch = new byte[Math.Max(size, SmallBurst)];
        }

        return scratch.AsSpan(0, size);
    }

    /// <summary>
    /// One direction's state: the bytes it holds between the receive and the send (in a pooled pipe, or a pooled
    /// buffer when the sink did not take a copied burst at once), how it moves them, whether its source has sent FIN,
    /// whether it is finished. A value inside the relay, so a relay is one object.
    /// </summary>
    private struct Lane
    {
        public SplicePipe Pipe;
        public bool HasPipe;
        public byte[]? Buffer;
        public int BufferStart;
        public int Held;

        /// <summary>Bursts go through a pipe (a spliced relay's bulk transfer) rather than the scratch buffer.</summary>
        public bool Spliced;

        /// <summary>Bursts are copied for good, at the relay buffer's size (<c>relay_mode = "copy"</c>, or no splice here).</summary>
        public bool Copy;
        public bool SourceEnded;
        public bool Done;
        public long Moved;

        public bool TryRentPipe()
        {
            HasPipe = SplicePipePool.TryRent(out Pipe);
            return HasPipe;
        }

        /// <summary>Keeps what the sink did not take in a pooled buffer, until it does.</summary>
        public void Hold(ReadOnlySpan<byte> rest)
        {
            Buffer = ArrayPool<byte>.Shared.Rent(rest.Length);
            rest.CopyTo(Buffer);
            BufferStart = 0;
            Held = rest.Length;
        }

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
