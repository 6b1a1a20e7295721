using System.Net;
using System.Net.Sockets;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Server.Configuration;
using Windsock.Server.Sessions;
using Windsock.Server.Tests.Support;
using Windsock.Server.Udp;
using Xunit;

namespace Windsock.Server.Tests.Commands;

/// <summary>SOCKS5 UDP ASSOCIATE against a real server and UDP echo on loopback.</summary>
[Collection(DescriptorCounting.Name)]
public class UdpAssociateTests
{
    private static bool EndLine(string line) => line.Contains(" end ", StringComparison.Ordinal) && line.Contains("command=udp-associate", StringComparison.Ordinal);

    [Fact]
    public async Task Round_trip_to_ipv4_target_with_the_sender_in_the_header()
    {
        await using var server = TestServer.Start();
        await using var echo = new UdpEcho(IPAddress.Loopback);
        using (var client = await UdpAssociateClient.OpenAsync(server.EndPoint))
        {
            // BND is the address the client reached, with the relay's port.
            Assert.Equal(IPAddress.Loopback, client.Relay.Address);
            Assert.NotEqual(0, client.Relay.Port);
            var target = echo.EndPoint(IPAddress.Loopback);
            await client.AssertEchoAsync(SocksEndpoint.FromEndPoint(target), target, "hello v4");
            await client.AssertEchoAsync(SocksEndpoint.FromEndPoint(target), target, "");
            await client.AssertEchoAsync(SocksEndpoint.FromEndPoint(target), target, new string('x', 60_000));
        }

        var end = await server.WaitForLineAsync(EndLine);
        Assert.Contains("datagrams_up=3 datagrams_down=3 dropped=0", end, StringComparison.Ordinal);
        Assert.Contains("bytes_up=60008 bytes_down=60008", end, StringComparison.Ordinal);
        Assert.Contains("reason=\"control connection closed\"", end, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Round_trip_to_ipv6_target_from_an_ipv4_client()
    {
        await using var server = TestServer.Start();
        await using var echo = new UdpEcho(IPAddress.IPv6Loopback);
        using var client = await UdpAssociateClient.OpenAsync(server.EndPoint);
        var target = echo.EndPoint(IPAddress.IPv6Loopback);
        await client.AssertEchoAsync(SocksEndpoint.FromEndPoint(target), target, "hello v6");
    }

    [Fact]
    public async Task Round_trip_over_the_ipv6_listener_advertises_ipv6()
    {
        await using var server = TestServer.Start();
        await using var echo = new UdpEcho(IPAddress.Loopback);
        using var client = await UdpAssociateClient.OpenAsync(server.EndPointV6);
        Assert.Equal(IPAddress.IPv6Loopback, client.Relay.Address);
        var target = echo.EndPoint(IPAddress.Loopback);
        await client.AssertEchoAsync(SocksEndpoint.FromEndPoint(target), target, "v6 client to v4 target");
    }

    [Fact]
    public async Task Round_trip_by_name_resolved_by_the_server()
    {
        await using var server = TestServer.Start();
        await using var echo = new UdpEcho(IPAddress.Loopback, IPAddress.IPv6Loopback);
        using var client = await UdpAssociateClient.OpenAsync(server.EndPoint);
        await client.SendAsync(SocksEndpoint.FromHost("localhost", (ushort)echo.Port), "by name");
        var (sender, payload, _) = await client.ReceiveAsync();
        Assert.Equal("by name", payload);
        Assert.True(sender.Address!.Equals(IPAddress.Loopback) || sender.Address.Equals(IPAddress.IPv6Loopback), $"sender {sender}");
        Assert.Equal(echo.Port, sender.Port);

        // The second datagram to the name is served from the cache.
        await client.SendAsync(SocksEndpoint.FromHost("LOCALHOST", (ushort)echo.Port), "cached");
        Assert.Equal("cached", (await client.ReceiveAsync()).Payload);
    }

    private static List<(string Reason, byte[] Datagram)> BadDatagrams(int port)
    {
        byte hi = (byte)(port >> 8);
        byte lo = (byte)port;
        return
        [
            ("malformed", [0, 0]),                                     // shorter than any header
            ("malformed", [0, 0, 0, 1, 127, 0, 0]),                    // IPv4 address cut short
            ("malformed", [1, 0, 0, 1, 127, 0, 0, 1, hi, lo, 65]),     // RSV not zero
            ("malformed", [0, 0, 0, 2, 127, 0, 0, 1, hi, lo, 65]),     // unknown ATYP 2
            ("malformed", [0, 0, 0, 3, 0, hi, lo, 65]),                // name of length 0
            ("malformed", [0, 0, 0, 3, 255, 97, 98, 99, hi, lo, 65]),  // name longer than the datagram
            ("malformed", [0, 0, 0, 3, 3, 97, 32, 99, hi, lo, 65]),    // space in the name
            ("fragmented", [0, 0, 1, 1, 127, 0, 0, 1, hi, lo, 65]),    // FRAG = 1
            ("fragmented", [0, 0, 0x81, 1, 127, 0, 0, 1, hi, lo, 65]), // FRAG with the end-of-sequence bit
            ("invalid_destination", [0, 0, 0, 1, 127, 0, 0, 1, 0, 0, 65]), // port 0
        ];
    }

    [Fact]
    public async Task Bad_datagrams_are_dropped_and_counted_while_the_association_keeps_working()
    {
        await using var server = TestServer.Start();
        await using var echo = new UdpEcho(IPAddress.Loopback);
        var target = echo.EndPoint(IPAddress.Loopback);
        var good = SocksEndpoint.FromEndPoint(target);
        var expected = new Dictionary<string, int>();
        using (var client = await UdpAssociateClient.OpenAsync(server.EndPoint))
        {
            await client.AssertEchoAsync(good, target, "first");
            int i = 0;
            foreach (var (reason, datagram) in BadDatagrams(echo.Port))
            {
                expected[reason] = expected.GetValueOrDefault(reason) + 1;
                await client.SendRawAsync(datagram);

                // Echoes come back in order: if the bad one had been relayed, its "A" would come first.
                await client.AssertEchoAsync(good, target, $"good after bad {i++}");
            }

            Assert.DoesNotContain("A", echo.Received);
        }

        var end = await server.WaitForLineAsync(EndLine);
        int total = expected.Values.Sum();
        Assert.Contains($"dropped={total} ", end, StringComparison.Ordinal);
        Assert.Contains($"drops=\"malformed={expected["malformed"]} fragmented={expected["fragmented"]} invalid_destination=1\"", end, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Datagrams_from_another_address_or_port_are_dropped()
    {
        await using var server = TestServer.Start();
        await using var echo = new UdpEcho(IPAddress.Loopback);
        var target = echo.EndPoint(IPAddress.Loopback);
        var good = SocksEndpoint.FromEndPoint(target);
        using (var client = await UdpAssociateClient.OpenAsync(server.EndPoint))
        {
            await client.AssertEchoAsync(good, target, "pins the port");

            // Another address on loopback (127.0.0.2 is loopback on Linux), then another port on the client's address.
            using var otherAddress = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            otherAddress.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
            await otherAddress.SendToAsync(UdpAssociateClient.Datagram(good, "from 127.0.0.2"), SocketFlags.None, client.Relay);
            await client.AssertEchoAsync(good, target, "still works 1");

            using var otherPort = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            otherPort.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            await otherPort.SendToAsync(UdpAssociateClient.Datagram(good, "from another port"), SocketFlags.None, client.Relay);
            await client.AssertEchoAsync(good, target, "still works 2");

            Assert.DoesNotContain("from 127.0.0.2", echo.Received);
            Assert.DoesNotContain("from another port", echo.Received);
        }

        var end = await server.WaitForLineAsync(EndLine);
        Assert.Contains("drops=\"wrong_source_port=1 unknown_sender=1\"", end, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_port_named_in_the_request_pins_the_association_from_the_start()
    {
        await using var server = TestServer.Start();
        await using var echo = new UdpEcho(IPAddress.Loopback);
        var target = echo.EndPoint(IPAddress.Loopback);
        using var client = await UdpAssociateClient.OpenAsync(server.EndPoint, stateOwnPort: true);
        using var intruder = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        intruder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await intruder.SendToAsync(UdpAssociateClient.Datagram(SocksEndpoint.FromEndPoint(target), "first but wrong port"), SocketFlags.None, client.Relay);
        await client.AssertEchoAsync(SocksEndpoint.FromEndPoint(target), target, "the stated port");
        Assert.DoesNotContain("first but wrong port", echo.Received);
    }

    public static TheoryData<string> StatedSources => new() { "0.0.0.0:0", "[::]:0", "0:0", "127.0.0.1:0", "192.0.2.1:0" };

    [Theory]
    [MemberData(nameof(StatedSources))]
    public async Task Request_addresses_real_clients_send_are_accepted(string stated)
    {
        await using var server = TestServer.Start();
        await using var echo = new UdpEcho(IPAddress.Loopback);
        var target = echo.EndPoint(IPAddress.Loopback);
        var endpoint = stated == "0:0" ? SocksEndpoint.FromHost("0", 0) : SocksEndpoint.FromEndPoint(IPEndPoint.Parse(stated));
        using var client = await UdpAssociateClient.OpenAsync(server.EndPoint, endpoint);
        await client.AssertEchoAsync(SocksEndpoint.FromEndPoint(target), target, stated);
    }

    [Fact]
    public async Task Closing_the_control_connection_closes_the_relay_port()
    {
        await using var server = TestServer.Start();
        await using var echo = new UdpEcho(IPAddress.Loopback);
        var target = echo.EndPoint(IPAddress.Loopback);
        IPEndPoint relay;
        using (var client = await UdpAssociateClient.OpenAsync(server.EndPoint))
        {
            relay = client.Relay;
            await client.AssertEchoAsync(SocksEndpoint.FromEndPoint(target), target, "before close");
        }

        await server.WaitForLineAsync(l => EndLine(l) && l.Contains("control connection closed", StringComparison.Ordinal));
        await AssertPortClosedAsync(relay);
    }

    [Fact]
    public async Task Bytes_on_the_control_connection_end_the_association()
    {
        await using var server = TestServer.Start();
        using var client = await UdpAssociateClient.OpenAsync(server.EndPoint);
        await client.Control.SendAsync(1);
        Assert.True(await client.Control.IsClosedByServerAsync());
        await server.WaitForLineAsync(l => EndLine(l) && l.Contains("client sent data on the control connection", StringComparison.Ordinal));
        await AssertPortClosedAsync(client.Relay);
    }

    [Fact]
    public async Task An_idle_association_ends_and_closes_the_control_connection()
    {
        await using var server = TestServer.Start(o => o with { Udp = o.Udp with { IdleTimeout = TimeSpan.FromMilliseconds(400) } });
        await using var echo = new UdpEcho(IPAddress.Loopback);
        var target = echo.EndPoint(IPAddress.Loopback);
        using var client = await UdpAssociateClient.OpenAsync(server.EndPoint);
        await client.AssertEchoAsync(SocksEndpoint.FromEndPoint(target), target, "then silence");
        Assert.True(await client.Control.IsClosedByServerAsync(TimeSpan.FromSeconds(10)));
        var end = await server.WaitForLineAsync(EndLine);
        Assert.Contains("reason=\"idle timeout (400ms)\"", end, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Advertised_address_is_the_reply_address()
    {
        var nat = IPAddress.Parse("203.0.113.10");
        await using var server = TestServer.Start(o => o with { Udp = o.Udp with { AdvertisedAddress = nat } });
        using var client = await UdpAssociateClient.OpenAsync(server.EndPoint);
        Assert.Equal(nat, client.Relay.Address);
        Assert.NotEqual(0, client.Relay.Port);
        await server.WaitForLineAsync(l => l.Contains($"relay=203.0.113.10:{client.Relay.Port}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Relay_ports_come_from_the_port_range_and_a_full_range_is_refused()
    {
        int port;
        using (var probe = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true })
        {
            probe.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }

        await using var server = TestServer.Start(o => o with { Udp = o.Udp with { PortRange = new PortRange(port, port) } });
        using var first = await UdpAssociateClient.OpenAsync(server.EndPoint);
        Assert.Equal(port, first.Relay.Port);

        using (var second = await RawClient.ConnectAsync(server.EndPoint))
        {
            await second.GreetAsync(AuthMethod.None);
            var reply = await second.RequestAsync(Socks5Command.UdpAssociate, SocksEndpoint.FromAddress(IPAddress.Any, 0));
            Assert.Equal(Socks5ReplyCode.GeneralFailure, reply.Code);
            Assert.True(await second.IsClosedByServerAsync());
        }

        await server.WaitForLineAsync(l => l.Contains($"no free UDP port in {port}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Denied_destinations_are_dropped_with_a_reason()
    {
        await using var server = TestServer.Start();
        await using var allowed = new UdpEcho(IPAddress.Loopback);
        await using var denied = new UdpEcho(IPAddress.Loopback);
        server.Context.UdpDestinationFilter = new DenyPort(denied.Port);
        var target = allowed.EndPoint(IPAddress.Loopback);
        using (var client = await UdpAssociateClient.OpenAsync(server.EndPoint))
        {
            await client.SendAsync(SocksEndpoint.FromEndPoint(denied.EndPoint(IPAddress.Loopback)), "to the denied one");
            await client.AssertEchoAsync(SocksEndpoint.FromEndPoint(target), target, "allowed");
            Assert.Empty(denied.Received);
        }

        var end = await server.WaitForLineAsync(EndLine);
        Assert.Contains("drops=\"denied=1\"", end, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_hundred_associations_leave_no_sockets_behind()
    {
        await using var server = TestServer.Start();
        await using var echo = new UdpEcho(IPAddress.Loopback);
        var target = echo.EndPoint(IPAddress.Loopback);

        // Warm up first so lazily created runtime handles (epoll, thread pool) are not counted as leaks.
        using (var warm = await UdpAssociateClient.OpenAsync(server.EndPoint))
        {
            await warm.AssertEchoAsync(SocksEndpoint.FromEndPoint(target), target, "warm");
        }

        await server.WaitForLineAsync(EndLine);
        int before = OpenDescriptors();
        const int Count = 200;
        for (int i = 0; i < Count; i++)
        {
            using var client = await UdpAssociateClient.OpenAsync(server.EndPoint);
            if (i % 20 == 0)
            {
                await client.AssertEchoAsync(SocksEndpoint.FromEndPoint(target), target, $"round {i}");
            }
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (server.Lines.Count(EndLine) < Count + 1 || server.Server.ActiveSessions > 0)
        {
            await Task.Delay(20, deadline.Token);
        }

        int after = OpenDescriptors();
        Assert.True(after <= before + 5, $"{before} descriptors before, {after} after {Count} associations");
    }

    private static async Task AssertPortClosedAsync(IPEndPoint relay)
    {
        // A connected UDP socket learns of the ICMP port-unreachable its datagram caused: ConnectionRefused.
        using var probe = new Socket(relay.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        await probe.ConnectAsync(relay);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[16];
        for (int attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                await probe.SendAsync(new byte[] { 0, 0, 0 }, SocketFlags.None, cts.Token);
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
                wait.CancelAfter(TimeSpan.FromMilliseconds(200));
                await probe.ReceiveAsync(buffer, SocketFlags.None, wait.Token);
                Assert.Fail("the relay port answered after the association ended");
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset)
            {
                return;
            }
            catch (OperationCanceledException) when (!cts.IsCancellationRequested)
            {
                // No ICMP yet: the socket may still be closing; try again (bounded).
            }
        }

        Assert.Fail($"no port-unreachable from {relay}");
    }

    private static int OpenDescriptors() => Directory.GetFiles("/proc/self/fd").Length;

    private sealed class DenyPort(int port) : IUdpDestinationFilter, IUdpDatagramDecisions
    {
        public IUdpDatagramDecisions ForAssociation(SessionRecord session) => this;

        public int Generation => 0;

        public bool MayResolve(SocksEndpoint requested) => true;

        public bool IsAllowed(SocksEndpoint requested, IPEndPoint destination) => destination.Port != port;
    }
}
