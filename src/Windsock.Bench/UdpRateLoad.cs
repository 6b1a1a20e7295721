using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Windsock.Bench;

/// <summary>
/// C workers, each with its own UDP ASSOCIATE (or, direct, its own socket) and a thread of its own: send a datagram of
/// the payload size to a local <see cref="UdpEchoServer"/> through the relay, wait for it to come
/// back, repeat. Each datagram carries a sequence number, so a late reply is never taken for the
/// current one; no reply within the reply timeout counts as lost. Only round trips started after
/// the warm-up count. Bounded by time and by <c>maxDatagrams</c>.
/// </summary>
public sealed partial class UdpRateLoad
{
    private const int SequenceBytes = 8;

    // A worker holds two buffers on the heap and a few locals: a small stack, so thousands of workers stay cheap.
    private const int WorkerStackSize = 256 * 1024;

    private readonly TunnelConnector _connector;
    private readonly int _concurrency;
    private readonly TimeSpan _duration;
    private readonly TimeSpan _warmup;
    private readonly long _maxDatagrams;
    private readonly TimeSpan _setupTimeout;
    private readonly TimeSpan _replyTimeout;
    private readonly int _payloadSize;
    private readonly BenchProgress? _progress;
    private readonly ProcessCpu? _serverCpu;

    public UdpRateLoad(
        TunnelConnector connector,
        int concurrency,
        TimeSpan duration,
        TimeSpan warmup,
        long maxDatagrams,
        TimeSpan setupTimeout,
        TimeSpan replyTimeout,
        int payloadSize,
        BenchProgress? progress = null,
        ProcessCpu? serverCpu = null)
    {
        ArgumentNullException.ThrowIfNull(connector);
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(duration, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(warmup, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDatagrams, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(setupTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(replyTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(payloadSize, SequenceBytes);
        if (connector.Proxy is { IsSocks4: true })
        {
            throw new ArgumentException("SOCKS4 has no UDP ASSOCIATE; use a socks5:// proxy", nameof(connector));
        }

        _connector = connector;
        _concurrency = concurrency;
        _duration = duration;
        _warmup = warmup;
        _maxDatagrams = maxDatagrams;
        _setupTimeout = setupTimeout;
        _replyTimeout = replyTimeout;
        _payloadSize = payloadSize;
        _progress = progress;
        _serverCpu = serverCpu is { IsEmpty: false } ? serverCpu : null;
    }

    /// <summary>
    /// Each worker blocked on a thread of its own instead of on the epoll loops: the path of systems without epoll,
    /// selectable on Linux to compare the two.
    /// </summary>
    public bool UseThreadPerWorker { get; init; }

    public async Task<UdpRateResult> RunAsync(CancellationToken cancellationToken)
    {
        // The echo's own thread starts only where the workers have no epoll loop to answer on.
        await using var echo = new UdpEchoServer();

        using var hardStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        hardStop.CancelAfter(_setupTimeout + _warmup + _duration + _replyTimeout + TimeSpan.FromSeconds(2));

        // Every association is set up before the clock starts, as for throughput streams.
        var setups = new Task<Association>[_concurrency];
        for (int i = 0; i < _concurrency; i++)
        {
            setups[i] = AssociateAsync(echo.EndPoint, hardStop.Token);
        }

        Association[] associations;
        try
        {
            associations = await Task.WhenAll(setups).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            foreach (Task<Association> setup in setups)
            {
                if (setup.IsCompletedSuccessfully)
                {
                    setup.Result.Dispose();
                }
            }

            int failed = setups.Count(t => !t.IsCompletedSuccessfully);
            Exception first = setups.First(t => !t.IsCompletedSuccessfully).Exception?.GetBaseException()
                ?? new OperationCanceledException("association setup timed out");
            return new UdpRateResult(_concurrency, _payloadSize, 0, 0, 0, failed, new LatencyHistogram(), "setup: " + ErrorTally.Describe(first));
        }

        try
        {
            long now = Stopwatch.GetTimestamp();
            var gate = new StartGate(now + ToTicks(_warmup), now + ToTicks(_warmup + _duration), _maxDatagrams);
            Task<WorkerTally[]>? loops = TryStartLoops(associations, echo, gate, hardStop.Token);
            if (loops is null)
            {
                echo.Start();
            }

            Task<WorkerTally[]> all = loops ?? Task.WhenAll(associations.Select(a => StartWorker(a, gate, hardStop.Token)));
            MeasuredCpu cpu = await MeasuredCpu.MeasureAsync(_serverCpu, gate.MeasureFrom, now + ToTicks(_warmup + _duration), all).ConfigureAwait(false);
            WorkerTally[] tallies = await all.ConfigureAwait(false);

            var latency = new LatencyHistogram();
            long lost = 0;
            int workersFailed = 0;
            long allocated = 0;
            string? firstError = null;
            foreach (WorkerTally tally in tallies)
            {
                allocated += tally.Allocated;
                latency.Add(tally.Latency);
                lost += tally.Lost;
                workersFailed += tally.Error is null ? 0 : 1;
                firstError ??= tally.Error;
            }

            double seconds = gate.StoppedByCount
                ? Stopwatch.GetElapsedTime(gate.MeasureFrom, Math.Max(gate.LastStart, gate.MeasureFrom)).TotalSeconds
                : _duration.TotalSeconds;
            return new UdpRateResult(_concurrency, _payloadSize, seconds, latency.Count, lost, workersFailed, latency, firstError)
            {
                ServerCores = cpu.Server,
                BenchCores = cpu.Bench,
                WorkerAllocatedBytes = allocated,
            };
        }
        finally
        {
            foreach (Association association in associations)
            {
                association.Dispose();
            }
        }
    }

    private async Task<Association> AssociateAsync(IPEndPoint echo, CancellationToken stop)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(_setupTimeout);
        var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        Socket? control = null;
        try
        {
            // Only synchronous calls on the UDP socket, ever: the runtime keeps it a blocking socket, so a worker's
            // send and receive are one system call each (an async call would make it non-blocking for good).
            udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            udp.ReceiveTimeout = ReceiveTimeoutOf(_replyTimeout);
            if (_connector.IsDirect)
            {
                udp.Connect(echo);
                return new Association(udp, null, []);
            }

            control = await _connector.ConnectToProxyAsync(timeout.Token).ConfigureAwait(false);
            IPEndPoint relay = await _connector.Handshake!.AssociateAsync(control, (IPEndPoint)udp.LocalEndPoint!, timeout.Token).ConfigureAwait(false);
            if (relay.Address.Equals(IPAddress.Any) || relay.Address.Equals(IPAddress.IPv6Any))
            {
                relay = new IPEndPoint(_connector.Proxy!.EndPoint.Address, relay.Port);
            }

            if (!IPAddress.IsLoopback(relay.Address) || relay.AddressFamily != AddressFamily.InterNetwork)
            {
                throw new SocksHandshakeException($"the proxy's UDP relay is at {relay}, not an IPv4 loopback address; not sending there");
            }

            udp.Connect(relay);

            // RFC 1928 section 7: RSV RSV FRAG ATYP DST.ADDR DST.PORT, here IPv4.
            byte[] header = new byte[10];
            header[3] = 0x01;
            echo.Address.GetAddressBytes().CopyTo(header, 4);
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(8), (ushort)echo.Port);
            return new Association(udp, control, header);
        }
        catch
        {
            udp.Dispose();
            control?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Workers where there is no epoll: each on a thread of its own, blocked in the kernel between a send and its
    /// reply, so a round trip costs the client one send and one receive (the async version's socket-engine hops and
    /// thread-pool spinning cost about 25 system calls per round trip, more than the proxies it measured).
    /// </summary>
    private Task<WorkerTally> StartWorker(Association association, StartGate gate, CancellationToken stop) =>
        OnThread("udp bench worker", () => Work(association, gate, stop));

    /// <summary>Runs <paramref name="work"/> on a new background thread with a small stack; its result or exception as a task.</summary>
    private static Task<T> OnThread<T>(string name, Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(
            () =>
            {
                try
                {
                    done.SetResult(work());
                }
#pragma warning disable CA1031 // the load's awaiter reports it; a worker thread must not take the process down
                catch (Exception e)
#pragma warning restore CA1031
                {
                    done.SetException(e);
                }
            },
            WorkerStackSize)
        {
            IsBackground = true,
            Name = name,
        };
        thread.UnsafeStart();
        return done.Task;
    }

    private static byte[] NewDatagram(byte[] header, int payloadSize)
    {
        byte[] datagram = new byte[header.Length + payloadSize];
        header.CopyTo(datagram, 0);
        Random.Shared.NextBytes(datagram.AsSpan(header.Length + SequenceBytes));
        return datagram;
    }

    private WorkerTally Work(Association association, StartGate gate, CancellationToken stop)
    {
        var tally = new WorkerTally();
        int headerLength = association.Header.Length;
        byte[] datagram = NewDatagram(association.Header, _payloadSize);
        byte[] reply = new byte[datagram.Length + 512];
        Socket udp = association.Udp;
        long sequence = 0;
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            while (!stop.IsCancellationRequested && gate.TryStart(out long started, out bool measured))
            {
                sequence++;
                BinaryPrimitives.WriteInt64BigEndian(datagram.AsSpan(headerLength), sequence);
                udp.Send(datagram);
                if (AwaitReply(udp, reply, datagram, headerLength, started))
                {
                    if (measured)
                    {
                        tally.Latency.Record((long)Stopwatch.GetElapsedTime(started).TotalMicroseconds);
                    }

                    _progress?.Succeeded();
                }
                else
                {
                    if (measured)
                    {
                        tally.Lost++;
                    }

                    _progress?.Failed();
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // ICMP port unreachable on a connected UDP socket: the relay is gone.
            tally.Error = ErrorTally.Describe(ex);
        }

        tally.Allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        return tally;
    }

    /// <summary>
    /// Blocks until the reply to <paramref name="datagram"/> arrives (true) or the reply timeout since
    /// <paramref name="started"/> passes (false). The socket's receive timeout is the reply timeout, so the usual
    /// round trip sets nothing; only a late or garbled datagram, read past, shortens it for the wait that is left.
    /// </summary>
    private bool AwaitReply(Socket udp, byte[] reply, byte[] datagram, int headerLength, long started)
    {
        bool shortened = false;
        try
        {
            while (true)
            {
                int got;
                try
                {
                    got = udp.Receive(reply);
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
                {
                    return false;
                }

                if (IsReplyTo(reply.AsSpan(0, got), datagram, headerLength))
                {
                    return true;
                }

                // A late reply to an earlier datagram, or something garbled: keep waiting for ours, for what is left.
                TimeSpan left = _replyTimeout - Stopwatch.GetElapsedTime(started);
                if (left <= TimeSpan.Zero)
                {
                    return false;
                }

                udp.ReceiveTimeout = ReceiveTimeoutOf(left);
                shortened = true;
            }
        }
        finally
        {
            if (shortened)
            {
                udp.ReceiveTimeout = ReceiveTimeoutOf(_replyTimeout);
            }
        }
    }

    // SO_RCVTIMEO in whole milliseconds; 0 would mean "wait for ever".
    private static int ReceiveTimeoutOf(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalMilliseconds));

    private static bool IsReplyTo(ReadOnlySpan<byte> reply, byte[] datagram, int headerLength)
    {
        if (headerLength == 0)
        {
            return reply.SequenceEqual(datagram);
        }

        // The relay's header names the echo as the source; its length depends on the address type.
        if (reply.Length < 4 || reply[2] != 0)
        {
            return false;
        }

        int replyHeader = reply[3] switch
        {
            0x01 => 10,
            0x04 => 22,
            0x03 when reply.Length > 4 => 7 + reply[4],
            _ => -1,
        };
        return replyHeader > 0 && reply.Length >= replyHeader && reply[replyHeader..].SequenceEqual(datagram.AsSpan(headerLength));
    }

    private static long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private sealed class WorkerTally
    {
        public LatencyHistogram Latency { get; } = new();

        public long Lost { get; set; }

        public string? Error { get; set; }

        /// <summary>Bytes the worker's thread (or its loop's) allocated while it ran the round trips.</summary>
        public long Allocated { get; set; }
    }

    /// <summary>One UDP socket connected to its relay (or the echo), and the TCP control connection that keeps the association alive.</summary>
    private sealed class Association(Socket udp, Socket? control, byte[] header) : IDisposable
    {
        public Socket Udp { get; } = udp;

        public byte[] Header { get; } = header;

        public void Dispose()
        {
            Udp.Dispose();
            control?.Dispose();
        }
    }
}
