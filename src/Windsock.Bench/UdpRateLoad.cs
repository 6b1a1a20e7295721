using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Windsock.Bench;

/// <summary>
/// C workers, each with its own UDP ASSOCIATE (or, direct, its own socket): send a datagram of
/// the payload size to a local <see cref="UdpEchoServer"/> through the relay, wait for it to come
/// back, repeat. Each datagram carries a sequence number, so a late reply is never taken for the
/// current one; no reply within the reply timeout counts as lost. Only round trips started after
/// the warm-up count. Bounded by time and by <c>maxDatagrams</c>.
/// </summary>
public sealed class UdpRateLoad
{
    private const int SequenceBytes = 8;

    private readonly TunnelConnector _connector;
    private readonly int _concurrency;
    private readonly TimeSpan _duration;
    private readonly TimeSpan _warmup;
    private readonly long _maxDatagrams;
    private readonly TimeSpan _setupTimeout;
    private readonly TimeSpan _replyTimeout;
    private readonly int _payloadSize;
    private readonly BenchProgress? _progress;

    public UdpRateLoad(
        TunnelConnector connector,
        int concurrency,
        TimeSpan duration,
        TimeSpan warmup,
        long maxDatagrams,
        TimeSpan setupTimeout,
        TimeSpan replyTimeout,
        int payloadSize,
        BenchProgress? progress = null)
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
    }

    public async Task<UdpRateResult> RunAsync(CancellationToken cancellationToken)
    {
        await using var echo = new UdpEchoServer();
        echo.Start();

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
            WorkerTally[] tallies = await Task.WhenAll(associations.Select(a => WorkerAsync(a, gate, hardStop.Token))).ConfigureAwait(false);

            var latency = new LatencyHistogram();
            long lost = 0;
            int workersFailed = 0;
            string? firstError = null;
            foreach (WorkerTally tally in tallies)
            {
                latency.Add(tally.Latency);
                lost += tally.Lost;
                workersFailed += tally.Error is null ? 0 : 1;
                firstError ??= tally.Error;
            }

            double seconds = gate.StoppedByCount
                ? Stopwatch.GetElapsedTime(gate.MeasureFrom, Math.Max(gate.LastStart, gate.MeasureFrom)).TotalSeconds
                : _duration.TotalSeconds;
            return new UdpRateResult(_concurrency, _payloadSize, seconds, latency.Count, lost, workersFailed, latency, firstError);
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
            udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            if (_connector.IsDirect)
            {
                await udp.ConnectAsync(echo, timeout.Token).ConfigureAwait(false);
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

            await udp.ConnectAsync(relay, timeout.Token).ConfigureAwait(false);

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

    private async Task<WorkerTally> WorkerAsync(Association association, StartGate gate, CancellationToken stop)
    {
        await Task.Yield();
        var tally = new WorkerTally();
        int headerLength = association.Header.Length;
        byte[] datagram = new byte[headerLength + _payloadSize];
        association.Header.CopyTo(datagram, 0);
        Random.Shared.NextBytes(datagram.AsSpan(headerLength + SequenceBytes));
        byte[] reply = new byte[datagram.Length + 512];
        long sequence = 0;
        var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        try
        {
            while (!stop.IsCancellationRequested && gate.TryStart(out long started, out bool measured))
            {
                sequence++;
                BinaryPrimitives.WriteInt64BigEndian(datagram.AsSpan(headerLength), sequence);
                if (!timeout.TryReset())
                {
                    timeout.Dispose();
                    timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
                }

                timeout.CancelAfter(_replyTimeout);
                try
                {
                    await association.Udp.SendAsync(datagram, SocketFlags.None, timeout.Token).ConfigureAwait(false);
                    while (true)
                    {
                        int got = await association.Udp.ReceiveAsync(reply, SocketFlags.None, timeout.Token).ConfigureAwait(false);
                        if (IsReplyTo(reply.AsSpan(0, got), datagram, headerLength))
                        {
                            break;
                        }

                        // A late reply to an earlier datagram, or something garbled: keep waiting for ours.
                    }

                    if (measured)
                    {
                        tally.Latency.Record((long)Stopwatch.GetElapsedTime(started).TotalMicroseconds);
                    }

                    _progress?.Succeeded();
                }
                catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                {
                    if (measured)
                    {
                        tally.Lost++;
                    }

                    _progress?.Failed();
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // ICMP port unreachable on a connected UDP socket: the relay is gone.
            tally.Error = ErrorTally.Describe(ex);
        }
        finally
        {
            timeout.Dispose();
        }

        return tally;
    }

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
