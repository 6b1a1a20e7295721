using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Windsock.Bench;

/// <summary>
/// The soak: <c>sessions</c> sessions spread evenly over <c>duration</c>, on <c>concurrency</c> workers,
/// in a fixed mix: of every 20, 2 bulk CONNECTs (1 to 4 MiB each way), 12 small exchanges (a few frames of
/// 64 B to 16 KiB), 3 BINDs (a frame each way with the peer) and 3 UDP associations (16 datagrams of up to
/// 1400 bytes). Every payload carries its SHA-256 and is checked where it arrives and again when it comes
/// back. Meanwhile the server's RSS, descriptors, threads and GC heap are read from /proc each sample
/// interval, into a CSV when one is given. Everything stays on loopback, bounded in count and time.
/// </summary>
public sealed class SoakLoad
{
    private const int MixLength = 20;
    private static readonly TimeSpan DatagramWait = TimeSpan.FromSeconds(2);

    private readonly TunnelConnector _connector;
    private readonly int _sessions;
    private readonly int _concurrency;
    private readonly TimeSpan _duration;
    private readonly TimeSpan _timeout;
    private readonly TimeSpan _sampleInterval;
    private readonly IReadOnlyList<int> _pids;
    private readonly string? _csvPath;
    private readonly BenchProgress _progress;
    private readonly ErrorTally _errors = new();
    private readonly long[] _byKind = new long[4];
    private long _corrupt;
    private long _lostDatagrams;
    private long _bytes;
    private long _next = -1;

    public SoakLoad(TunnelConnector connector, int sessions, int concurrency, TimeSpan duration, TimeSpan timeout, TimeSpan sampleInterval,
        IReadOnlyList<int> pids, string? csvPath, BenchProgress progress)
    {
        _connector = connector;
        _sessions = sessions;
        _concurrency = concurrency;
        _duration = duration;
        _timeout = timeout;
        _sampleInterval = sampleInterval;
        _pids = pids;
        _csvPath = csvPath;
        _progress = progress;
    }

    public async Task<SoakResult> RunAsync(CancellationToken cancellationToken)
    {
        if (_connector.Proxy is null || _connector.Handshake is null)
        {
            throw new FormatException("soak needs --proxy: BIND and UDP go through a SOCKS5 server");
        }

        await using var tcp = new ChecksumServer();
        await using var udp = new UdpEchoServer(ChecksumFrame.IsIntactDatagram);
        tcp.Start();
        udp.Start();
        var samples = new List<ServerSample>();
        using var csv = _csvPath is null ? null : new StreamWriter(_csvPath, append: false);
        csv?.WriteLine(ServerSample.CsvHeader + ",sessions_done,failures,corrupt,lost_datagrams");
        var clock = Stopwatch.StartNew();
        void Sample()
        {
            foreach (int pid in _pids)
            {
                var sample = ServerSample.Read(pid, clock.Elapsed.TotalSeconds);
                samples.Add(sample);
                csv?.WriteLine($"{sample.ToCsv()},{_progress.SucceededCount + _progress.FailedCount},{_errors.Count},{Corrupt(tcp, udp)},{Interlocked.Read(ref _lostDatagrams)}");
                csv?.Flush();
            }
        }

        Sample();
        using var stopSampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sampler = SampleEveryAsync(Sample, stopSampling.Token);
        // The sessions' own bound: the planned duration plus time for the last ones to finish.
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(_duration + _timeout + _timeout);
        var workers = Enumerable.Range(0, _concurrency).Select(_ => Task.Run(() => WorkAsync(tcp.EndPoint, udp.EndPoint, clock, bound.Token))).ToArray();
        await Task.WhenAll(workers).ConfigureAwait(false);
        await stopSampling.CancelAsync().ConfigureAwait(false);
        await sampler.ConfigureAwait(false);
        Sample();
        return new SoakResult(clock.Elapsed, _progress.SucceededCount, _errors.Count, _errors.First, Corrupt(tcp, udp), Interlocked.Read(ref _lostDatagrams),
            Interlocked.Read(ref _bytes), _byKind[0], _byKind[1], _byKind[2], _byKind[3], samples, _sessions - (_progress.SucceededCount + _errors.Count));
    }

    private long Corrupt(ChecksumServer tcp, UdpEchoServer udp) => Interlocked.Read(ref _corrupt) + tcp.Corrupt + udp.Rejected;

    private async Task SampleEveryAsync(Action sample, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(_sampleInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                sample();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task WorkAsync(IPEndPoint tcp, IPEndPoint udp, Stopwatch clock, CancellationToken bound)
    {
        double spacing = _duration.TotalSeconds / _sessions;
        while (!bound.IsCancellationRequested)
        {
            long index = Interlocked.Increment(ref _next);
            if (index >= _sessions)
            {
                return;
            }

            var due = TimeSpan.FromSeconds(index * spacing) - clock.Elapsed;
            if (due > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(due, bound).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            int kind = (index % MixLength) switch
            {
                < 2 => 0,
                < 14 => 1,
                < 17 => 2,
                _ => 3,
            };
            using var session = CancellationTokenSource.CreateLinkedTokenSource(bound);
            session.CancelAfter(_timeout);
            try
            {
                switch (kind)
                {
                    case 0:
                        await ExchangeAsync(tcp, frames: 1, minLength: 1 << 20, maxLength: 4 << 20, session.Token).ConfigureAwait(false);
                        break;
                    case 1:
                        await ExchangeAsync(tcp, frames: 1 + (int)(index % 4), minLength: 64, maxLength: 16 << 10, session.Token).ConfigureAwait(false);
                        break;
                    case 2:
                        await BindAsync(session.Token).ConfigureAwait(false);
                        break;
                    default:
                        await UdpAsync(udp, session.Token).ConfigureAwait(false);
                        break;
                }

                Interlocked.Increment(ref _byKind[kind]);
                _progress.Succeeded();
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or SocksHandshakeException or InvalidDataException or IOException)
            {
                _errors.Record(e);
                _progress.Failed();
            }
        }
    }

    private async Task ExchangeAsync(IPEndPoint destination, int frames, int minLength, int maxLength, CancellationToken token)
    {
        using var socket = await _connector.OpenAsync(destination, null, token).ConfigureAwait(false);
        for (int i = 0; i < frames; i++)
        {
            await SendCheckedAsync(socket, Random.Shared.Next(minLength, maxLength + 1), token).ConfigureAwait(false);
        }

        socket.Shutdown(SocketShutdown.Send);
    }

    /// <summary>One frame out through <paramref name="socket"/> and back; a damaged one is counted, not thrown.</summary>
    private async Task SendCheckedAsync(Socket socket, int length, CancellationToken token)
    {
        var hash = await ChecksumFrame.SendAsync(socket, length, token).ConfigureAwait(false);
        // A receiver that saw damage counts it itself (ChecksumServer, or the BIND peer below); here, the echo.
        var (_, echoIntact) = await ChecksumFrame.ReadAnswerAsync(socket, length, hash, token).ConfigureAwait(false);
        if (!echoIntact)
        {
            Interlocked.Increment(ref _corrupt);
        }

        Interlocked.Add(ref _bytes, 2L * length);
    }

    /// <summary>BIND through the proxy; the bench connects as the peer, sends a frame to the client and answers the client's.</summary>
    private async Task BindAsync(CancellationToken token)
    {
        using var control = await _connector.ConnectToProxyAsync(token).ConfigureAwait(false);
        var listening = await _connector.Handshake!.BindAsync(control, new IPEndPoint(IPAddress.Loopback, 0), token).ConfigureAwait(false);
        if (listening.Address.Equals(IPAddress.Any))
        {
            listening = new IPEndPoint(_connector.Proxy!.EndPoint.Address, listening.Port);
        }

        using var peer = new Socket(listening.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await peer.ConnectAsync(listening, token).ConfigureAwait(false);
        _ = await SocksHandshake.ReadReplyAsync(control, token).ConfigureAwait(false);

        // Peer to client, checked by the client, echoed and checked by the peer; then the other way.
        int length = Random.Shared.Next(64, 64 << 10);
        var toClient = ChecksumFrame.SendAsync(peer, length, token).AsTask();
        bool clientSawIntact = await ChecksumFrame.ReceiveAndAnswerAsync(control, token).ConfigureAwait(false);
        var hash = await toClient.ConfigureAwait(false);
        var (_, peerEchoIntact) = await ChecksumFrame.ReadAnswerAsync(peer, length, hash, token).ConfigureAwait(false);
        if (!clientSawIntact || !peerEchoIntact)
        {
            Interlocked.Increment(ref _corrupt);
        }

        Interlocked.Add(ref _bytes, 2L * length);
        int back = Random.Shared.Next(64, 64 << 10);
        var answering = ChecksumFrame.ReceiveAndAnswerAsync(peer, token).AsTask();
        await SendCheckedAsync(control, back, token).ConfigureAwait(false);
        if (!await answering.ConfigureAwait(false))
        {
            Interlocked.Increment(ref _corrupt);
        }
    }

    /// <summary>A UDP association with 16 checked datagrams, one at a time; a datagram not back within 2 s is counted lost.</summary>
    private async Task UdpAsync(IPEndPoint echo, CancellationToken token)
    {
        using var control = await _connector.ConnectToProxyAsync(token).ConfigureAwait(false);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var relay = await _connector.Handshake!.AssociateAsync(control, (IPEndPoint)socket.LocalEndPoint!, token).ConfigureAwait(false);
        if (relay.Address.Equals(IPAddress.Any))
        {
            relay = new IPEndPoint(_connector.Proxy!.EndPoint.Address, relay.Port);
        }

        byte[] header = new byte[10];
        header[3] = 0x01;
        echo.Address.GetAddressBytes().CopyTo(header, 4);
        header[8] = (byte)(echo.Port >> 8);
        header[9] = (byte)echo.Port;
        byte[] reply = new byte[2048];
        for (int i = 0; i < 16; i++)
        {
            int length = Random.Shared.Next(1, 1400);
            byte[] datagram = new byte[header.Length + 32 + length];
            header.CopyTo(datagram, 0);
            Random.Shared.NextBytes(datagram.AsSpan(header.Length + 32));
            SHA256.HashData(datagram.AsSpan(header.Length + 32)).CopyTo(datagram, header.Length);
            await socket.SendToAsync(datagram, SocketFlags.None, relay, token).ConfigureAwait(false);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(token);
            wait.CancelAfter(DatagramWait);
            try
            {
                int got = await socket.ReceiveAsync(reply, SocketFlags.None, wait.Token).ConfigureAwait(false);
                // The relay's header names the echo (10 bytes for IPv4); the rest must be what was sent.
                if (!reply.AsSpan(0, got).EndsWith(datagram.AsSpan(header.Length)) || got != datagram.Length)
                {
                    Interlocked.Increment(ref _corrupt);
                }

                Interlocked.Add(ref _bytes, 2L * length);
            }
            catch (OperationCanceledException) when (!token.IsCancellationRequested)
            {
                Interlocked.Increment(ref _lostDatagrams);
            }
        }
    }
}
