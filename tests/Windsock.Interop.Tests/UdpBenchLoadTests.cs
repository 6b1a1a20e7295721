using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Windsock.Bench;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// `windsock bench udp`'s load in process: its epoll loops and its thread-per-worker path, through a started
/// `windsock serve` and straight to the echo, each round trip counted, nothing allocated per round trip; and against a
/// scripted relay that answers every other datagram (the other with a stale copy of the one before), that a timeout is
/// counted as lost and a late reply is never taken for the current one. Never a speed.
/// </summary>
[Trait("Needs", "windsock-serve")]
public sealed class UdpBenchLoadTests(OpenServerFixture fixture) : IClassFixture<OpenServerFixture>
{
    private static UdpRateLoad Load(ProxySpec? proxy, int workers, bool threadPerWorker, TimeSpan seconds, TimeSpan replyTimeout) =>
        new(new TunnelConnector(proxy), workers, seconds, warmup: TimeSpan.Zero, maxDatagrams: 200_000, setupTimeout: TimeSpan.FromSeconds(10), replyTimeout, payloadSize: 64)
        {
            UseThreadPerWorker = threadPerWorker,
        };

    /// <summary>
    /// Less than a byte per round trip over more than a hundred of them: the smallest object is 24 bytes, so no round trip
    /// allocated (what a thread's first run of a path may allocate once, the runtime's own, stays allowed).
    /// </summary>
    private static void AllocatesNothingPerRoundTrip(UdpRateResult result) =>
        Assert.True(result.WorkerAllocatedBytes < result.Succeeded, $"{result.WorkerAllocatedBytes} bytes allocated in {result.Succeeded} round trips");

    [Theory]
    [InlineData(false, 1)]
    [InlineData(false, 6)]
    [InlineData(true, 3)]
    public async Task Through_windsock_every_worker_round_trips_and_allocates_nothing_per_round_trip(bool threadPerWorker, int workers)
    {
        var proxy = ProxySpec.Parse("socks5://" + fixture.Server.IPv4);

        var result = await Load(proxy, workers, threadPerWorker, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)).RunAsync(TestContext.Current.CancellationToken);

        Assert.Null(result.FirstError);
        Assert.Equal(0, result.WorkersFailed);
        Assert.True(result.Succeeded > 100, $"{result.Succeeded} round trips");
        AllocatesNothingPerRoundTrip(result);
        Assert.True(result.BenchMicrosecondsPerRoundTrip > 0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Direct_round_trips_to_the_echo_and_allocate_nothing_per_round_trip(bool threadPerWorker)
    {
        var result = await Load(null, 4, threadPerWorker, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)).RunAsync(TestContext.Current.CancellationToken);

        Assert.Null(result.FirstError);
        Assert.True(result.Succeeded > 100, $"{result.Succeeded} round trips");
        Assert.Equal(0, result.Lost);
        AllocatesNothingPerRoundTrip(result);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_datagram_answered_only_with_a_stale_reply_is_lost_and_the_next_one_still_counts(bool threadPerWorker)
    {
        await using var relay = new HalfAnsweringRelay();
        var proxy = ProxySpec.Parse("socks5://" + relay.ControlEndPoint);

        // 1 worker, 50 ms reply timeout, 1.2 s: about 20 lost datagrams, each followed by an answered one.
        var result = await Load(proxy, 1, threadPerWorker, TimeSpan.FromSeconds(1.2), TimeSpan.FromMilliseconds(50)).RunAsync(TestContext.Current.CancellationToken);

        Assert.Null(result.FirstError);
        Assert.True(result.Lost >= 5, $"{result.Lost} lost, {result.Succeeded} answered");

        // Odd sequence numbers are answered and even ones are not: a stale reply taken for the current datagram would
        // make the evens succeed, a missed timeout would stop the worker.
        Assert.InRange(result.Succeeded - result.Lost, 0, 1);
        Assert.True(relay.StaleSent >= result.Lost, $"{relay.StaleSent} stale replies sent");
    }

    /// <summary>
    /// A scripted SOCKS5 server for one UDP ASSOCIATE: no authentication, the relay a UDP socket of its own that answers
    /// datagram n (the bench's 8-byte big-endian sequence right after the 10-byte IPv4 header) with itself when n is odd,
    /// and with a copy of datagram n-1 (stale) when n is even.
    /// </summary>
    private sealed class HalfAnsweringRelay : IAsyncDisposable
    {
        private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        private readonly Socket _relay = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _control;
        private readonly Task _datagrams;
        private long _staleSent;

        public HalfAnsweringRelay()
        {
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(1);
            _relay.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _control = ControlAsync();
            _datagrams = RelayAsync();
        }

        public IPEndPoint ControlEndPoint => (IPEndPoint)_listener.LocalEndPoint!;

        public long StaleSent => Interlocked.Read(ref _staleSent);

        private async Task ControlAsync()
        {
            using var control = await _listener.AcceptAsync(_stop.Token);
            var buffer = new byte[262];
            await ReadExactlyAsync(control, buffer.AsMemory(0, 2)); // VER NMETHODS
            await ReadExactlyAsync(control, buffer.AsMemory(0, buffer[1])); // METHODS
            await control.SendAsync(new byte[] { 5, 0 }, _stop.Token);
            await ReadExactlyAsync(control, buffer.AsMemory(0, 10)); // VER CMD RSV ATYP(1) DST.ADDR DST.PORT
            Assert.Equal((byte)3, buffer[1]); // UDP ASSOCIATE
            var reply = new byte[10] { 5, 0, 0, 1, 127, 0, 0, 1, 0, 0 };
            BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(8), (ushort)((IPEndPoint)_relay.LocalEndPoint!).Port);
            await control.SendAsync(reply, _stop.Token);
            await ReadExactlyAsync(control, buffer.AsMemory(0, 1)); // held open until the bench closes it (0 bytes) or we stop
        }

        private async Task ReadExactlyAsync(Socket socket, Memory<byte> buffer)
        {
            while (buffer.Length > 0)
            {
                int got = await socket.ReceiveAsync(buffer, _stop.Token);
                if (got == 0)
                {
                    return;
                }

                buffer = buffer[got..];
            }
        }

        private async Task RelayAsync()
        {
            var buffer = new byte[2048];
            byte[]? previous = null;
            EndPoint any = new IPEndPoint(IPAddress.Any, 0);
            while (!_stop.IsCancellationRequested)
            {
                var got = await _relay.ReceiveFromAsync(buffer, any, _stop.Token);
                var datagram = buffer.AsSpan(0, got.ReceivedBytes).ToArray();
                long sequence = BinaryPrimitives.ReadInt64BigEndian(datagram.AsSpan(10));
                if (sequence % 2 == 1)
                {
                    await _relay.SendToAsync(datagram, got.RemoteEndPoint, _stop.Token);
                }
                else if (previous is not null)
                {
                    Interlocked.Increment(ref _staleSent);
                    await _relay.SendToAsync(previous, got.RemoteEndPoint, _stop.Token);
                }

                previous = datagram;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Dispose();
            _relay.Dispose();
            await Task.WhenAll(_control, _datagrams).ContinueWith(_ => { }, TaskScheduler.Default);
            _stop.Dispose();
        }
    }
}
