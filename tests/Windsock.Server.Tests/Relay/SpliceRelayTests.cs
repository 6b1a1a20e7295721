using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Server.Relay;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Relay;

/// <summary>
/// TcpRelay on its own, between two real loopback TCP connections, in both modes: splice (Linux) and
/// the copy loop. Every test runs against both, so the fallback keeps the same behaviour.
/// </summary>
public class SpliceRelayTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    public static TheoryData<RelayMode> Modes => [RelayMode.Splice, RelayMode.Copy];

    [Fact]
    public void Splice_is_available_on_Linux()
    {
        Assert.Equal(OperatingSystem.IsLinux(), SplicePipePool.IsSupported);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Large_transfers_arrive_byte_exact_both_ways_at_once(RelayMode mode)
    {
        await using var rig = await RelayRig.StartAsync(mode);
        var up = RandomBytes(24 * 1024 * 1024 + 13, seed: 1);
        var down = RandomBytes(16 * 1024 * 1024 + 7, seed: 2);

        var sendUp = SendAndCloseAsync(rig.ClientOuter, up);
        var sendDown = SendAndCloseAsync(rig.DestinationOuter, down);
        var atDestination = ReadToEndAsync(rig.DestinationOuter);
        var atClient = ReadToEndAsync(rig.ClientOuter);
        await Task.WhenAll(sendUp, sendDown).WaitAsync(Bound);

        AssertSame(up, await atDestination.WaitAsync(Bound));
        AssertSame(down, await atClient.WaitAsync(Bound));
        Assert.Equal(RelayEnd.Closed, await rig.Relay.WaitAsync(Bound));
        Assert.Equal(up.Length, rig.Record.BytesUp);
        Assert.Equal(down.Length, rig.Record.BytesDown);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Client_half_close_keeps_the_downstream_flowing(RelayMode mode)
    {
        await using var rig = await RelayRig.StartAsync(mode);
        await SendAndCloseAsync(rig.ClientOuter, "question"u8.ToArray());
        Assert.Equal("question"u8.ToArray(), await ReadToEndAsync(rig.DestinationOuter).WaitAsync(Bound));

        // The destination saw the FIN and still answers, at length, before closing its side.
        var answer = RandomBytes(3 * 1024 * 1024, seed: 3);
        var reading = ReadToEndAsync(rig.ClientOuter);
        await SendAndCloseAsync(rig.DestinationOuter, answer);
        AssertSame(answer, await reading.WaitAsync(Bound));
        Assert.Equal(RelayEnd.Closed, await rig.Relay.WaitAsync(Bound));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Destination_half_close_keeps_the_upstream_flowing(RelayMode mode)
    {
        await using var rig = await RelayRig.StartAsync(mode);
        await SendAndCloseAsync(rig.DestinationOuter, "banner"u8.ToArray());
        Assert.Equal("banner"u8.ToArray(), await ReadToEndAsync(rig.ClientOuter).WaitAsync(Bound));

        var upload = RandomBytes(3 * 1024 * 1024, seed: 4);
        var reading = ReadToEndAsync(rig.DestinationOuter);
        await SendAndCloseAsync(rig.ClientOuter, upload);
        AssertSame(upload, await reading.WaitAsync(Bound));
        Assert.Equal(RelayEnd.Closed, await rig.Relay.WaitAsync(Bound));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Destination_reset_ends_the_relay_as_a_destination_error(RelayMode mode)
    {
        await using var rig = await RelayRig.StartAsync(mode);
        await rig.ClientOuter.SendAsync(RandomBytes(64 * 1024, seed: 5), SocketFlags.None);
        await ReadExactlyAsync(rig.DestinationOuter, 64 * 1024);

        rig.DestinationOuter.LingerState = new LingerOption(true, 0);
        rig.DestinationOuter.Dispose();

        Assert.Equal(RelayEnd.DestinationError, await rig.Relay.WaitAsync(Bound));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Client_reset_while_the_destination_streams_ends_the_relay_as_a_client_error(RelayMode mode)
    {
        await using var rig = await RelayRig.StartAsync(mode);
        using var stopStreaming = new CancellationTokenSource();
        var streaming = StreamUntilFailureAsync(rig.DestinationOuter, stopStreaming.Token);
        await ReadExactlyAsync(rig.ClientOuter, 256 * 1024);

        rig.ClientOuter.LingerState = new LingerOption(true, 0);
        rig.ClientOuter.Dispose();

        Assert.Equal(RelayEnd.ClientError, await rig.Relay.WaitAsync(Bound));
        await stopStreaming.CancelAsync();
        await streaming.WaitAsync(Bound);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Idle_timeout_fires_after_data_has_moved(RelayMode mode)
    {
        var time = new FakeTimeProvider();
        await using var rig = await RelayRig.StartAsync(mode, time, idleTimeout: TimeSpan.FromSeconds(40));
        var payload = RandomBytes(512 * 1024, seed: 6);
        await rig.ClientOuter.SendAsync(payload, SocketFlags.None);
        AssertSame(payload, await ReadExactlyAsync(rig.DestinationOuter, payload.Length));

        time.Advance(TimeSpan.FromSeconds(20));
        Assert.False(rig.Relay.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal(RelayEnd.IdleTimeout, await rig.Relay.WaitAsync(Bound));
        Assert.Equal(payload.Length, rig.Record.BytesUp);
    }

    [Fact]
    public async Task A_destination_that_refuses_splice_gets_its_bytes_through_the_copy_loop()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "splice(2) is Linux only");
        await using var rig = await RelayRig.StartAsync(RelayMode.Splice, configure: pair =>
        {
            // splice(2) into a file opened with O_APPEND is EINVAL; a socket takes the flag like any file.
            FileStatusFlags.Add(pair.DestinationInner, FileStatusFlags.Append);
        });
        var up = RandomBytes(8 * 1024 * 1024 + 1, seed: 7);
        var down = RandomBytes(2 * 1024 * 1024 + 3, seed: 8);

        var atDestination = ReadToEndAsync(rig.DestinationOuter);
        var atClient = ReadToEndAsync(rig.ClientOuter);
        await Task.WhenAll(SendAndCloseAsync(rig.ClientOuter, up), SendAndCloseAsync(rig.DestinationOuter, down)).WaitAsync(Bound);

        AssertSame(up, await atDestination.WaitAsync(Bound));
        AssertSame(down, await atClient.WaitAsync(Bound));
        Assert.Equal(RelayEnd.Closed, await rig.Relay.WaitAsync(Bound));
        Assert.Equal(up.Length, rig.Record.BytesUp);
    }

    [Fact]
    public async Task Pipelined_data_and_a_large_stream_behind_it_arrive_in_order_through_the_server()
    {
        await using var server = TestServer.Start(o => o with { RelayMode = RelayMode.Splice });
        await using var echo = new EchoServer(IPAddress.Loopback);
        using var client = await RawClient.ConnectAsync(server.EndPoint);

        // Greeting, request and the first data in one send; then a stream far larger than any buffer.
        var request = new Socks5Request(Socks5Command.Connect, SocksEndpoint.FromEndPoint(echo.EndPoint));
        var head = new byte[3 + request.EncodedLength];
        Socks5Greeting.Write(head, [(byte)AuthMethod.None]);
        request.Write(head.AsSpan(3));
        var payload = RandomBytes(4 * 1024 * 1024, seed: 9);
        await client.SendAsync([.. head, .. payload.AsSpan(0, 1000)]);

        Assert.Equal([5, 0], await client.ReadExactlyAsync(2));
        Assert.Equal(Socks5ReplyCode.Succeeded, (await client.ReadSocks5ReplyAsync()).Code);
        var echoed = ReadExactlyAsync(client.Socket, payload.Length);
        await client.Socket.SendAsync(payload.AsMemory(1000), SocketFlags.None);
        AssertSame(payload, await echoed.WaitAsync(Bound));

        client.Socket.Shutdown(SocketShutdown.Send);
        Assert.Empty(await client.ReadToEndAsync());
        var end = await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal));
        Assert.Contains($"bytes_up={payload.Length} bytes_down={payload.Length}", end, StringComparison.Ordinal);
        Assert.Contains("reason=closed", end, StringComparison.Ordinal);
    }

    // Not Assert.Equal: a 24 MiB mismatch would print both arrays.
    private static void AssertSame(byte[] expected, byte[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        Assert.True(expected.AsSpan().SequenceEqual(actual), "same length, different bytes");
    }

    internal static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static async Task SendAndCloseAsync(Socket socket, byte[] bytes)
    {
        using var cts = new CancellationTokenSource(Bound);
        await socket.SendAsync(bytes, SocketFlags.None, cts.Token);
        socket.Shutdown(SocketShutdown.Send);
    }

    internal static async Task<byte[]> ReadToEndAsync(Socket socket)
    {
        using var cts = new CancellationTokenSource(Bound);
        var all = new MemoryStream();
        var buffer = new byte[256 * 1024];
        while (true)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            if (n == 0)
            {
                return all.ToArray();
            }

            all.Write(buffer, 0, n);
        }
    }

    internal static async Task<byte[]> ReadExactlyAsync(Socket socket, int count)
    {
        using var cts = new CancellationTokenSource(Bound);
        var buffer = new byte[count];
        int read = 0;
        while (read < count)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cts.Token);
            if (n == 0)
            {
                throw new EndOfStreamException($"closed after {read} of {count} bytes");
            }

            read += n;
        }

        return buffer;
    }

    private static async Task StreamUntilFailureAsync(Socket socket, CancellationToken token)
    {
        var chunk = new byte[64 * 1024];
        try
        {
            while (true)
            {
                await socket.SendAsync(chunk, SocketFlags.None, token);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
        }
    }
}
