using System.Net;
using System.Net.Sockets;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Faults;

/// <summary>
/// Destinations at their worst: one that resets mid-stream, one that stops reading (a zero window) or
/// never reads at all, one that half-closes, one that never answers a connect. In each, the faulted
/// session ends (or waits) the way it should, and another client's checksummed stream through the same
/// server keeps flowing meanwhile and arrives intact.
/// </summary>
public sealed class DestinationFaultTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_destination_that_resets_mid_stream_ends_its_session_and_no_other()
    {
        await using var server = TestServer.Start();
        await using var echo = new EchoServer(IPAddress.Loopback);
        await using var stream = await ChecksummedStream.StartAsync(server.EndPoint, echo.EndPoint);
        await using var resetting = new ScriptedDestination(async socket =>
        {
            var buffer = new byte[1024];
            await socket.ReceiveAsync(buffer, SocketFlags.None);
            socket.LingerState = new LingerOption(true, 0); // close = RST
        });

        using var client = await RawClient.ConnectAsync(server.EndPoint);
        Assert.Equal(Socks5ReplyCode.Succeeded, (await client.ConnectSocks5Async(SocksEndpoint.FromEndPoint(resetting.EndPoint))).Code);
        await client.SendAsync(new byte[1024]);
        Assert.True(await client.IsClosedByServerAsync(Bound), "the proxy kept the client after its destination reset");
        var end = await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal) && l.Contains($":{resetting.EndPoint.Port}", StringComparison.Ordinal));
        Assert.Contains("reason=", end, StringComparison.Ordinal);

        await stream.WaitForProgressAsync(256 * 1024, Bound);
        var result = await stream.FinishAsync();
        Assert.True(result.Intact, result.ToString());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(64 * 1024)]
    public async Task A_destination_that_stops_reading_stalls_only_its_own_client(int readFirst)
    {
        await using var server = TestServer.Start();
        await using var echo = new EchoServer(IPAddress.Loopback);
        await using var stream = await ChecksummedStream.StartAsync(server.EndPoint, echo.EndPoint);
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var stalled = new ScriptedDestination(async socket =>
        {
            var buffer = new byte[readFirst + 1];
            int read = 0;
            while (read < readFirst)
            {
                read += await socket.ReceiveAsync(buffer.AsMemory(read, readFirst - read), SocketFlags.None);
            }

            await holding.Task; // never reads again until the test is over: its window goes to zero
        }, receiveBuffer: 4096);

        using var client = await RawClient.ConnectAsync(server.EndPoint);
        client.Socket.SendBufferSize = 64 * 1024;
        Assert.Equal(Socks5ReplyCode.Succeeded, (await client.ConnectSocks5Async(SocksEndpoint.FromEndPoint(stalled.EndPoint))).Code);

        // The client pushes until its sends stop completing: the proxy passes the stall back instead of buffering.
        long pushed = 0;
        var chunk = new byte[64 * 1024];
        using (var push = new CancellationTokenSource(TimeSpan.FromSeconds(3)))
        {
            try
            {
                while (pushed < 256L * 1024 * 1024)
                {
                    pushed += await client.Socket.SendAsync(chunk, SocketFlags.None, push.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        // Socket buffers on three connections and the relay's buffers, nothing like an unbounded queue.
        Assert.InRange(pushed, readFirst, 32L * 1024 * 1024);
        await stream.WaitForProgressAsync(512 * 1024, Bound);
        holding.TrySetResult();
        var result = await stream.FinishAsync();
        Assert.True(result.Intact, result.ToString());
    }

    [Fact]
    public async Task A_destination_that_half_closes_still_gets_the_clients_bytes()
    {
        await using var server = TestServer.Start();
        await using var echo = new EchoServer(IPAddress.Loopback);
        await using var stream = await ChecksummedStream.StartAsync(server.EndPoint, echo.EndPoint);
        var received = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var halfClosing = new ScriptedDestination(async socket =>
        {
            await socket.SendAsync("bye"u8.ToArray(), SocketFlags.None);
            socket.Shutdown(SocketShutdown.Send);
            var all = new MemoryStream();
            var buffer = new byte[4096];
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
            {
                all.Write(buffer, 0, n);
            }

            received.TrySetResult(all.ToArray());
        });

        using var client = await RawClient.ConnectAsync(server.EndPoint);
        Assert.Equal(Socks5ReplyCode.Succeeded, (await client.ConnectSocks5Async(SocksEndpoint.FromEndPoint(halfClosing.EndPoint))).Code);
        Assert.Equal("bye"u8.ToArray(), await client.ReadToEndAsync(Bound)); // its FIN came through
        await client.SendAsync("still here"u8.ToArray()); // and the other direction stays open
        client.Socket.Shutdown(SocketShutdown.Send);
        Assert.Equal("still here"u8.ToArray(), await received.Task.WaitAsync(Bound));

        await stream.WaitForProgressAsync(256 * 1024, Bound);
        var result = await stream.FinishAsync();
        Assert.True(result.Intact, result.ToString());
    }

    [Fact]
    public async Task A_destination_that_never_answers_the_connect_times_out_with_reply_6()
    {
        await using var server = TestServer.Start(o => o with { ConnectTimeout = TimeSpan.FromSeconds(2) });
        await using var echo = new EchoServer(IPAddress.Loopback);
        await using var stream = await ChecksummedStream.StartAsync(server.EndPoint, echo.EndPoint);

        // A listener whose accept queue is full and never accepted: Linux drops further SYNs, so a connect
        // to it waits for an answer that never comes (a black hole on loopback).
        using var blackHole = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        blackHole.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        blackHole.Listen(0);
        var target = (IPEndPoint)blackHole.LocalEndPoint!;
        var fillers = new List<Socket>();
        try
        {
            for (int i = 0; i < 4; i++)
            {
                var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                fillers.Add(filler);
                _ = filler.ConnectAsync(target); // the first fills the queue; the rest are dropped SYNs themselves
            }

            using var client = await RawClient.ConnectAsync(server.EndPoint);
            var started = DateTime.UtcNow;
            var reply = await client.ConnectSocks5Async(SocksEndpoint.FromEndPoint(target));
            Assert.Equal(Socks5ReplyCode.TtlExpired, reply.Code);
            Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromSeconds(1.5), Bound);
            await server.WaitForLineAsync(l => l.Contains("timed out", StringComparison.Ordinal));
        }
        finally
        {
            foreach (var filler in fillers)
            {
                filler.Dispose();
            }
        }

        await stream.WaitForProgressAsync(256 * 1024, Bound);
        var result = await stream.FinishAsync();
        Assert.True(result.Intact, result.ToString());
    }

    /// <summary>A loopback destination that runs <c>behaviour</c> on each accepted connection, then closes it.</summary>
    private sealed class ScriptedDestination : IAsyncDisposable
    {
        private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        private readonly Task _accepting;
        private readonly CancellationTokenSource _stop = new();

        public ScriptedDestination(Func<Socket, Task> behaviour, int? receiveBuffer = null)
        {
            if (receiveBuffer is { } size)
            {
                _listener.ReceiveBufferSize = size; // inherited by accepted sockets: a small window fills fast
            }

            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(16);
            _accepting = AcceptAsync(behaviour);
        }

        public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

        private async Task AcceptAsync(Func<Socket, Task> behaviour)
        {
            try
            {
                while (true)
                {
                    var socket = await _listener.AcceptAsync(_stop.Token);
                    _ = Task.Run(async () =>
                    {
                        using (socket)
                        {
                            try
                            {
                                await behaviour(socket);
                            }
                            catch (SocketException)
                            {
                            }
                        }
                    });
                }
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Dispose();
            await _accepting;
            _stop.Dispose();
        }
    }
}
