using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Faults;

/// <summary>
/// Clients at their worst: thousands of slowloris connections, a datagram flood from strangers at a UDP
/// relay port, a flood of BIND requests. Each time another client's checksummed stream keeps flowing
/// through the same server and arrives intact. These hold many sockets, so they run alone.
/// </summary>
[Collection(DescriptorCounting.Name)]
public sealed class HostileClientTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The latency bound a served client sees while 2,000 slowloris clients connect and trickle: the
    /// longest wait between two echoed chunks of the checksummed stream (paced at 5 ms). Stated for a busy
    /// 2-core machine: measured 77 and 83 ms in two runs here, so 500 ms leaves room for a busier machine.
    /// </summary>
    private static readonly TimeSpan ServedLatencyBound = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task Two_thousand_slowloris_clients_are_cut_at_the_negotiation_timeout_while_a_served_stream_flows()
    {
        var negotiation = TimeSpan.FromSeconds(4);
        await using var server = TestServer.Start(o => o with { NegotiationTimeout = negotiation });
        await using var echo = new EchoServer(IPAddress.Loopback);
        await using var stream = await ChecksummedStream.StartAsync(server.EndPoint, echo.EndPoint);
        await stream.WaitForProgressAsync(64 * 1024, Bound);

        // 8 sources of 250 (the per-source cap before authentication is 256): a byte every 1.5 s, a greeting
        // announcing 255 methods that never arrive in time.
        const int Clients = 2000;
        var cut = new TimeSpan[Clients];
        var slow = Enumerable.Range(0, Clients).Select(i => Task.Run(async () =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Parse($"127.0.0.{2 + (i % 8)}"), 0));
            using var limit = new CancellationTokenSource(Bound);
            await socket.ConnectAsync(server.EndPoint, limit.Token);
            var clock = Stopwatch.StartNew();
            byte[] greeting = [5, 255, .. Enumerable.Range(0, 255).Select(m => (byte)m)];
            var closed = WaitForCloseAsync(socket, limit.Token);
            for (int sent = 0; sent < greeting.Length && !closed.IsCompleted; sent++)
            {
                try
                {
                    await socket.SendAsync(greeting.AsMemory(sent, 1), SocketFlags.None, limit.Token);
                }
                catch (SocketException)
                {
                    break; // reset by the server: cut
                }

                await Task.WhenAny(closed, Task.Delay(1500, limit.Token));
            }

            await closed;
            cut[i] = clock.Elapsed;
        })).ToArray();
        await Task.WhenAll(slow);

        var longest = cut.Max();
        Assert.True(longest <= negotiation + TimeSpan.FromSeconds(6), string.Create(CultureInfo.InvariantCulture, $"the last slow client was cut after {longest.TotalSeconds:0.0}s (timeout {negotiation.TotalSeconds}s)"));
        Assert.True(cut.Min() >= negotiation - TimeSpan.FromSeconds(0.5), string.Create(CultureInfo.InvariantCulture, $"a slow client was cut after {cut.Min().TotalSeconds:0.0}s, before the timeout"));

        await stream.WaitForProgressAsync(256 * 1024, Bound);
        var result = await stream.FinishAsync();
        Assert.True(result.Intact, result.ToString());
        Assert.True(result.LongestGap <= ServedLatencyBound, $"the served stream waited {result.LongestGap.TotalMilliseconds:0} ms at most; the bound is {ServedLatencyBound.TotalMilliseconds:0} ms");
        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"slow clients cut after {cut.Min().TotalSeconds:0.00}..{longest.TotalSeconds:0.00}s; served stream: {result}"));
    }

    [Fact]
    public async Task A_datagram_flood_from_strangers_at_a_relay_port_is_dropped_and_the_association_still_works()
    {
        await using var server = TestServer.Start();
        await using var echo = new EchoServer(IPAddress.Loopback);
        await using var stream = await ChecksummedStream.StartAsync(server.EndPoint, echo.EndPoint);
        await using var udpEcho = new UdpEcho(IPAddress.Loopback);
        using var sink = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sink.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var association = await UdpAssociateClient.OpenAsync(server.EndPoint, stateOwnPort: true);
        var echoTarget = SocksEndpoint.FromEndPoint(udpEcho.EndPoint(IPAddress.Loopback));
        await association.AssertEchoAsync(echoTarget, udpEcho.EndPoint(IPAddress.Loopback), "before");

        // 20,000 well-formed datagrams from another address, aimed through the relay at a sink.
        using (var stranger = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            stranger.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
            var toSink = UdpAssociateClient.Datagram(SocksEndpoint.FromEndPoint((IPEndPoint)sink.LocalEndPoint!), "flood");
            for (int i = 0; i < 20_000; i++)
            {
                await stranger.SendToAsync(toSink, SocketFlags.None, association.Relay);
                if (i % 2000 == 0)
                {
                    // UDP: under a flood the kernel may drop one of ours too (the relay's socket buffer is
                    // full of strangers'); a client retransmits, and the association must answer.
                    await EchoWithRetriesAsync(association, echoTarget, $"during {i}");
                }
            }
        }

        // Right after the flood the relay may still be draining strangers' datagrams: retransmit as well.
        await EchoWithRetriesAsync(association, echoTarget, "after");
        Assert.Equal(0, sink.Available); // not one stranger's datagram was relayed
        await stream.WaitForProgressAsync(256 * 1024, Bound);
        var result = await stream.FinishAsync();
        Assert.True(result.Intact, result.ToString());
    }

    [Fact]
    public async Task A_bind_flood_is_capped_per_source_and_bind_works_again_afterwards()
    {
        await using var server = TestServer.Start();
        await using var echo = new EchoServer(IPAddress.Loopback);
        await using var stream = await ChecksummedStream.StartAsync(server.EndPoint, echo.EndPoint);
        int cap = server.Options.Limits.BindPerSource;
        var clients = new List<RawClient>();
        int granted = 0;
        int refused = 0;
        try
        {
            for (int i = 0; i < cap + 200; i++)
            {
                var client = await RawClient.ConnectAsync(server.EndPoint);
                clients.Add(client);
                Assert.Equal((byte)AuthMethod.None, await client.GreetAsync(AuthMethod.None));
                var reply = await client.RequestAsync(Socks5Command.Bind, SocksEndpoint.FromAddress(IPAddress.Loopback, 0));
                if (reply.Code == Socks5ReplyCode.Succeeded)
                {
                    granted++;
                }
                else
                {
                    refused++;
                }
            }

            Assert.Equal(cap, granted);
            Assert.Equal(200, refused);
            await stream.WaitForProgressAsync(256 * 1024, Bound);
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }

        // The listeners close with their control connections: a new BIND is granted again (bounded retries while they go).
        var clock = Stopwatch.StartNew();
        Socks5ReplyCode code;
        do
        {
            using var again = await RawClient.ConnectAsync(server.EndPoint);
            Assert.Equal((byte)AuthMethod.None, await again.GreetAsync(AuthMethod.None));
            code = (await again.RequestAsync(Socks5Command.Bind, SocksEndpoint.FromAddress(IPAddress.Loopback, 0))).Code;
        }
        while (code != Socks5ReplyCode.Succeeded && clock.Elapsed < Bound);
        Assert.Equal(Socks5ReplyCode.Succeeded, code);

        var result = await stream.FinishAsync();
        Assert.True(result.Intact, result.ToString());
    }

    private static async Task EchoWithRetriesAsync(UdpAssociateClient association, SocksEndpoint target, string payload)
    {
        for (int attempt = 1; attempt <= 5; attempt++)
        {
            await association.SendAsync(target, payload);
            try
            {
                while (true)
                {
                    var (_, text, _) = await association.ReceiveAsync(TimeSpan.FromSeconds(2));
                    if (text == payload)
                    {
                        return;
                    }

                    Assert.NotEqual("flood", text); // a late answer to an earlier retry, never a stranger's datagram
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        Assert.Fail($"no echo of '{payload}' in 5 attempts during the flood");
    }

    private static async Task WaitForCloseAsync(Socket socket, CancellationToken token)
    {
        var buffer = new byte[64];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, token) > 0)
            {
            }
        }
        catch (SocketException)
        {
        }
    }
}
