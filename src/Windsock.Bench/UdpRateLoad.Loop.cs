using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Windsock.Server.Loops;
using Windsock.Server.Relay;

namespace Windsock.Bench;

/// <summary>
/// The workers on epoll loops (Linux): a few threads, each with an epoll set over its share of the workers' sockets,
/// receiving a reply and sending the next datagram with non-blocking calls. Under load a loop finds replies waiting and
/// goes on without sleeping; a thread blocked per worker instead slept and was woken once per round trip, and on a
/// virtual machine that wake (and the proxy's send that pays for it) cost more than the datagram itself
/// (docs/benchmarks.md, "UDP, round three").
/// </summary>
public sealed partial class UdpRateLoad
{
    private const int LoopEvents = 64;

    // The epoll data of the echo's socket (workers are numbered from 0).
    private const ulong EchoEvent = ulong.MaxValue;

    // How often a loop looks for replies that did not come within the reply timeout, and so the longest it sleeps.
    private const int TimeoutScanMilliseconds = 10;

    /// <summary>Threads for <paramref name="workers"/>: one per two cores, so the proxy under test keeps the rest.</summary>
    private static int LoopCount(int workers) => Math.Clamp(Environment.ProcessorCount / 2, 1, workers);

    /// <summary>The workers split round robin over epoll loops; null where there is no epoll (then each worker blocks on a thread of its own).</summary>
    private Task<WorkerTally[]>? TryStartLoops(Association[] associations, UdpEchoServer echo, StartGate gate, CancellationToken stop)
    {
        if (!OperatingSystem.IsLinux() || UseThreadPerWorker)
        {
            return null;
        }

        int loops = LoopCount(associations.Length);
        var epolls = new int[loops];
        for (int i = 0; i < loops; i++)
        {
            epolls[i] = LinuxEpoll.Create();
            if (epolls[i] < 0)
            {
                foreach (int epoll in epolls[..i])
                {
                    _ = Close(epoll);
                }

                return null;
            }
        }

        var tasks = new Task<WorkerTally[]>[loops];
        for (int i = 0; i < loops; i++)
        {
            var share = associations.Where((_, index) => index % loops == i).ToArray();
            int epoll = epolls[i];
            UdpEchoServer? echoHere = i == 0 ? echo : null;
            tasks[i] = OnThread("udp bench loop", () =>
            {
                try
                {
                    return RunLoop(epoll, share, echoHere, gate, stop);
                }
                finally
                {
                    _ = Close(epoll);
                }
            });
        }

        return Task.WhenAll(tasks).ContinueWith(t => t.Result.SelectMany(x => x).ToArray(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>
    /// One loop: its workers' sockets and, on the first loop, the echo's, so that a datagram the proxy relays to the echo
    /// and its reply back are both handled by a thread that is usually awake anyway (the echo on a thread of its own
    /// slept and was woken for each datagram). Returns when every worker is done.
    /// </summary>
    private unsafe WorkerTally[] RunLoop(int epoll, Association[] share, UdpEchoServer? echo, StartGate gate, CancellationToken stop)
    {
        var workers = new LoopWorker[share.Length];
        byte[] reply = new byte[Math.Max(_payloadSize + 512, UdpEchoServer.MaxDatagram)];
        var from = new SocketAddress(AddressFamily.InterNetwork);
        if (echo is not null && LinuxEpoll.Control(epoll, LinuxEpoll.EPOLL_CTL_ADD, (int)echo.Handle.DangerousGetHandle(), LinuxEpoll.EPOLLIN, EchoEvent) < 0)
        {
            echo.Start(); // epoll refused the echo: it answers on a thread of its own
        }

        int active = 0;
        for (int i = 0; i < share.Length; i++)
        {
            workers[i] = new LoopWorker(share[i], _payloadSize);
            if (LinuxEpoll.Control(epoll, LinuxEpoll.EPOLL_CTL_ADD, (int)share[i].Udp.SafeHandle.DangerousGetHandle(), LinuxEpoll.EPOLLIN, (ulong)i) < 0)
            {
                workers[i].Finish($"epoll_ctl: errno {Marshal.GetLastPInvokeError()}");
                continue;
            }

            active++;
            if (!SendNext(workers[i], gate))
            {
                active--;
            }
        }

        // Counted from here to the end of the loop: with no error, nothing per round trip (a test holds it at zero).
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        long replyTimeout = ToTicks(_replyTimeout);
        long scanEvery = ToTicks(TimeSpan.FromMilliseconds(TimeoutScanMilliseconds));
        long nextScan = Stopwatch.GetTimestamp() + scanEvery;
        byte* events = stackalloc byte[LoopEvents * LinuxEpoll.EventSize];
        while (active > 0)
        {
            if (stop.IsCancellationRequested)
            {
                foreach (var worker in workers)
                {
                    worker.Finish(null);
                }

                break;
            }

            int count = LinuxEpoll.Wait(epoll, events, LoopEvents, TimeoutScanMilliseconds);
            for (int e = 0; e < count; e++)
            {
                ulong data = LinuxEpoll.DataOf(events, e);
                if (data == EchoEvent)
                {
                    echo!.EchoOne(reply, from);
                    continue;
                }

                var worker = workers[(int)data];
                if (worker.Done)
                {
                    continue;
                }

                // One receive per report: level-triggered, a second queued datagram is reported again, and the common
                // case (one reply) needs no receive that only finds the queue empty.
                int got = LinuxDatagrams.ReceiveFrom(worker.Association.Udp.SafeHandle, reply, from, out var error);
                if (got < 0)
                {
                    if (error != SocketError.WouldBlock)
                    {
                        // ICMP port unreachable on a connected UDP socket: the relay is gone.
                        worker.Finish(ErrorTally.Describe(new SocketException((int)error)));
                        active--;
                    }

                    continue;
                }

                if (!IsReplyTo(reply.AsSpan(0, got), worker.Datagram, worker.Association.Header.Length))
                {
                    continue; // a late reply to an earlier datagram, or something garbled: keep waiting for ours
                }

                if (worker.Measured)
                {
                    worker.Tally.Latency.Record((long)Stopwatch.GetElapsedTime(worker.Started).TotalMicroseconds);
                }

                _progress?.Succeeded();
                if (!SendNext(worker, gate))
                {
                    active--;
                }
            }

            long now = Stopwatch.GetTimestamp();
            if (now >= nextScan)
            {
                nextScan = now + scanEvery;
                foreach (var worker in workers)
                {
                    if (!worker.Done && now - worker.Started >= replyTimeout)
                    {
                        if (worker.Measured)
                        {
                            worker.Tally.Lost++;
                        }

                        _progress?.Failed();
                        if (!SendNext(worker, gate))
                        {
                            active--;
                        }
                    }
                }
            }
        }

        if (workers.Length > 0)
        {
            workers[0].Tally.Allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore; // the loop's, on its first worker
        }

        return Array.ConvertAll(workers, w => w.Tally);
    }

    /// <summary>Starts the worker's next round trip; false (the worker done) when the window closed or its socket failed.</summary>
    private static bool SendNext(LoopWorker worker, StartGate gate)
    {
        if (!gate.TryStart(out long started, out bool measured))
        {
            worker.Finish(null);
            return false;
        }

        worker.Started = started;
        worker.Measured = measured;
        worker.Sequence++;
        BinaryPrimitives.WriteInt64BigEndian(worker.Datagram.AsSpan(worker.Association.Header.Length), worker.Sequence);
        var result = LinuxDatagrams.Send(worker.Association.Udp.SafeHandle, worker.Datagram);

        // A full send buffer (WouldBlock) loses this datagram: the reply timeout counts it, as on the blocking path.
        if (result is not (SocketError.Success or SocketError.WouldBlock))
        {
            worker.Finish(ErrorTally.Describe(new SocketException((int)result)));
            return false;
        }

        return true;
    }

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    /// <summary>One worker on a loop: its association, the datagram it sends (header, sequence, payload), its round trip in flight.</summary>
    private sealed class LoopWorker
    {
        public LoopWorker(Association association, int payloadSize)
        {
            Association = association;
            Datagram = NewDatagram(association.Header, payloadSize);
        }

        public Association Association { get; }

        public byte[] Datagram { get; }

        public WorkerTally Tally { get; } = new();

        public long Sequence { get; set; }

        public long Started { get; set; }

        public bool Measured { get; set; }

        public bool Done { get; private set; }

        public void Finish(string? error)
        {
            Done = true;
            Tally.Error ??= error;
        }
    }
}
