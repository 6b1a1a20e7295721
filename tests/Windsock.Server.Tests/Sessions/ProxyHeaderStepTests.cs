using System.Net;
using System.Text;
using Windsock.Policy;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Server.Configuration;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Sessions;

/// <summary>
/// The accept step behind a balancer: 127.0.0.2 plays the balancer (server.proxy_protocol_from), 127.0.0.1 a
/// direct client. The client a header names is the one allowed_clients, the rules and the request log see;
/// a balancer without a header and a header from anyone else are refused and logged.
/// </summary>
public class ProxyHeaderStepTests
{
    private static readonly IPAddress BalancerAddress = IPAddress.Parse("127.0.0.2");

    private const string V2Signature = "0D0A0D0A000D0A515549540A";

    /// <summary>Clients of 198.51.100.0/24 may reach loopback; 192.0.2.0/24 is admitted but denied by rule; the balancer itself is no client.</summary>
    private const string Config = """
        [server]
        allowed_clients = ["127.0.0.1/32", "198.51.100.0/24", "192.0.2.0/24"]
        proxy_protocol_from = ["127.0.0.2/32"]
        negotiation_timeout = "1s"

        [[rule]]
        name = "testnet-3 stays in"
        action = "deny"
        from = ["192.0.2.0/24"]

        [[rule]]
        name = "the rest may reach the echo"
        action = "allow"
        to = ["127.0.0.0/8"]
        """;

    private static TestServer Start(CollectingLogger? logger = null, Func<ServerOptions, ServerOptions>? adjust = null)
    {
        var options = ConfigLoader.Parse(Config, "balanced.toml") with
        {
            Listen = [new IPEndPoint(IPAddress.Loopback, 0), new IPEndPoint(IPAddress.IPv6Loopback, 0)],
        };
        return TestServer.Start(_ => adjust?.Invoke(options) ?? options, logger: logger);
    }

    /// <summary>A SOCKS5 CONNECT from the balancer on behalf of <paramref name="client"/>: the header, then the greeting and the request.</summary>
    private static async Task<(RawClient Balancer, Socks5ReplyCode Code)> ConnectThroughBalancerAsync(TestServer server, string client, IPEndPoint destination)
    {
        var balancer = await RawClient.ConnectAsync(server.EndPoint, BalancerAddress);
        await balancer.SendAsync(V2(client, "203.0.113.1:1080"));
        return (balancer, (await balancer.ConnectSocks5Async(SocksEndpoint.FromEndPoint(destination))).Code);
    }

    private static byte[] V2(string source, string destination)
    {
        var from = IPEndPoint.Parse(source);
        var to = IPEndPoint.Parse(destination);
        return [.. Convert.FromHexString(V2Signature + "2111000C"), .. from.Address.GetAddressBytes(), .. to.Address.GetAddressBytes(),
            (byte)(from.Port >> 8), (byte)from.Port, (byte)(to.Port >> 8), (byte)to.Port];
    }

    [Theory]
    [InlineData(2)]
    [InlineData(1)]
    public async Task The_client_a_balancer_names_is_the_sessions_client(int version)
    {
        await using var server = Start();
        await using var echo = new EchoServer(IPAddress.Loopback);
        using var balancer = await RawClient.ConnectAsync(server.EndPoint, BalancerAddress);

        // The header and the SOCKS greeting in one segment, as HAProxy sends them when the client was quick.
        var header = version == 2 ? V2("198.51.100.7:40000", "203.0.113.1:1080") : Encoding.ASCII.GetBytes("PROXY TCP4 198.51.100.7 203.0.113.1 40000 1080\r\n");
        await balancer.SendAsync([.. header, 0x05, 0x01, 0x00]);
        Assert.Equal(new byte[] { 0x05, 0x00 }, await balancer.ReadExactlyAsync(2));
        var reply = await balancer.RequestAsync(Socks5Command.Connect, SocksEndpoint.FromEndPoint(echo.EndPoint));
        Assert.Equal(Socks5ReplyCode.Succeeded, reply.Code);
        await balancer.SendAsync("via the balancer"u8.ToArray());
        Assert.Equal("via the balancer"u8.ToArray(), await balancer.ReadExactlyAsync(16));

        var line = await server.WaitForLineAsync(l => l.Contains(" request ", StringComparison.Ordinal));
        Assert.Contains("client=198.51.100.7:40000", line, StringComparison.Ordinal);
        Assert.Contains($"balancer={BalancerAddress}:", line, StringComparison.Ordinal);
        Assert.Contains("frontend=203.0.113.1:1080", line, StringComparison.Ordinal);
        Assert.Contains("the rest may reach the echo", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rules_judge_the_named_client_not_the_balancer()
    {
        await using var server = Start();
        await using var echo = new EchoServer(IPAddress.Loopback);
        using var balancer = await RawClient.ConnectAsync(server.EndPoint, BalancerAddress);
        await balancer.SendAsync(V2("192.0.2.10:50000", "203.0.113.1:1080"));

        await balancer.GreetAsync(AuthMethod.None);
        var reply = await balancer.RequestAsync(Socks5Command.Connect, SocksEndpoint.FromEndPoint(echo.EndPoint));
        Assert.Equal(Socks5ReplyCode.NotAllowedByRuleset, reply.Code);
        var line = await server.WaitForLineAsync(l => l.Contains(" request ", StringComparison.Ordinal));
        Assert.Contains("client=192.0.2.10:50000", line, StringComparison.Ordinal);
        Assert.Contains("testnet-3 stays in", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Allowed_clients_judge_the_named_client()
    {
        await using var server = Start();
        using var balancer = await RawClient.ConnectAsync(server.EndPoint, BalancerAddress);
        await balancer.SendAsync(V2("10.9.9.9:1234", "203.0.113.1:1080"));
        await balancer.SendAsync(5, 1, 0);
        Assert.True(await balancer.IsClosedByServerAsync());
        var line = await server.WaitForLineAsync(l => l.Contains("client address not allowed", StringComparison.Ordinal));
        Assert.Contains("client=10.9.9.9:1234", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_balancer_connection_without_a_header_is_refused_and_logged()
    {
        var logger = new CollectingLogger();
        await using var server = Start(logger);
        using var balancer = await RawClient.ConnectAsync(server.EndPoint, BalancerAddress);
        await balancer.SendAsync(5, 1, 0);

        // Not a byte of SOCKS comes back: the greeting is never taken for one.
        Assert.Empty(await balancer.ReadToEndAsync());
        var line = await server.WaitForLineAsync(l => l.Contains("balancer refused", StringComparison.Ordinal));
        Assert.Contains($"client={BalancerAddress}:", line, StringComparison.Ordinal);
        Assert.Contains("send-proxy-v2", line, StringComparison.Ordinal);
        Assert.Contains(logger.Messages, m => m.Contains("(server.proxy_protocol_from) refused", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_header_from_a_client_that_is_no_balancer_is_refused_and_logged()
    {
        var logger = new CollectingLogger();
        await using var server = Start(logger);
        using var client = await RawClient.ConnectAsync(server.EndPoint);
        await client.SendAsync([.. V2("198.51.100.7:40000", "203.0.113.1:1080"), 0x05, 0x01, 0x00]);

        Assert.Empty(await client.ReadToEndAsync());
        var line = await server.WaitForLineAsync(l => l.Contains("not in server.proxy_protocol_from", StringComparison.Ordinal));
        Assert.Contains("client=127.0.0.1:", line, StringComparison.Ordinal);
        Assert.Contains(logger.Messages, m => m.Contains("PROXY protocol header from 127.0.0.1:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_header_that_never_completes_ends_at_the_negotiation_timeout()
    {
        await using var server = Start();
        using var balancer = await RawClient.ConnectAsync(server.EndPoint, BalancerAddress);
        await balancer.SendAsync(Convert.FromHexString(V2Signature + "21"));

        Assert.True(await balancer.IsClosedByServerAsync(TimeSpan.FromSeconds(10)));
        await server.WaitForLineAsync(l => l.Contains("no PROXY protocol header within negotiation_timeout (1s)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_hostile_length_is_refused_at_sixteen_bytes()
    {
        await using var server = Start();
        using var balancer = await RawClient.ConnectAsync(server.EndPoint, BalancerAddress);
        await balancer.SendAsync(Convert.FromHexString(V2Signature + "2111FFFF"));

        // Refused at once: the server does not wait for 65,535 bytes it would never accept.
        Assert.True(await balancer.IsClosedByServerAsync(TimeSpan.FromMilliseconds(900)));
        await server.WaitForLineAsync(l => l.Contains("balancer refused: no valid PROXY protocol header (longer than", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Health_checks_end_quietly_with_their_own_reason()
    {
        var logger = new CollectingLogger();
        await using var server = Start(logger);
        using (var check = await RawClient.ConnectAsync(server.EndPoint, BalancerAddress))
        {
            await check.SendAsync(Convert.FromHexString(V2Signature + "20000000"));
            Assert.True(await check.IsClosedByServerAsync());
        }

        await server.WaitForLineAsync(l => l.Contains("balancer health check (PROXY LOCAL)", StringComparison.Ordinal));
        using (var tcpCheck = await RawClient.ConnectAsync(server.EndPoint, BalancerAddress))
        {
            tcpCheck.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            Assert.True(await tcpCheck.IsClosedByServerAsync());
        }

        await server.WaitForLineAsync(l => l.Contains("balancer closed before sending a PROXY header (a TCP health check)", StringComparison.Ordinal));
        Assert.Empty(logger.Messages);
    }

    [Fact]
    public async Task Unknown_clients_are_not_served_as_the_balancer()
    {
        await using var server = Start();
        using var balancer = await RawClient.ConnectAsync(server.EndPoint, BalancerAddress);
        await balancer.SendAsync([.. "PROXY UNKNOWN\r\n"u8.ToArray(), 0x05, 0x01, 0x00]);
        Assert.Empty(await balancer.ReadToEndAsync());
        await server.WaitForLineAsync(l => l.Contains("relays a client without naming its address", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Sessions_per_source_counts_the_client_the_header_names_not_the_balancer()
    {
        await using var server = Start(adjust: o => o with { Limits = o.Limits with { SessionsPerSource = 1 } });
        await using var echo = new EchoServer(IPAddress.Loopback);
        var (held, heldCode) = await ConnectThroughBalancerAsync(server, "198.51.100.7:40000", echo.EndPoint);
        using var keep = held;
        Assert.Equal(Socks5ReplyCode.Succeeded, heldCode);

        // The same client again (another port, as a client's second connection has): its source is full.
        var (again, againCode) = await ConnectThroughBalancerAsync(server, "198.51.100.7:40001", echo.EndPoint);
        using (again)
        {
            Assert.Equal(Socks5ReplyCode.GeneralFailure, againCode);
            Assert.True(await again.IsClosedByServerAsync());
        }

        var refused = await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal) && l.Contains("client=198.51.100.7:40001", StringComparison.Ordinal));
        Assert.Contains("limit sessions_per_source=1 reached for 198.51.100.7", refused, StringComparison.Ordinal);
        Assert.Contains($"balancer={BalancerAddress}:", refused, StringComparison.Ordinal);

        // Another client through the same balancer connection address: a source of its own, served.
        var (other, otherCode) = await ConnectThroughBalancerAsync(server, "198.51.100.8:40000", echo.EndPoint);
        using (other)
        {
            Assert.Equal(Socks5ReplyCode.Succeeded, otherCode);
            await other.SendAsync("second client"u8.ToArray());
            Assert.Equal("second client"u8.ToArray(), await other.ReadExactlyAsync(13));
        }
    }

    [Fact]
    public async Task Ident_asks_the_named_client_host_about_the_named_ports()
    {
        // The header names 127.0.0.1:40000 (where the scripted identd listens) reaching the balancer's port 1080; the
        // balancer itself connects from 127.0.0.2, where no identd is, from a port of its own.
        await using var identd = new ScriptedIdentd(q => ScriptedIdentd.UserReply(q, "alice"));
        await using var server = Start(adjust: o => o with { IdentMode = IdentMode.Check, IdentPort = identd.Port, IdentTimeout = TimeSpan.FromSeconds(5) });
        await using var echo = new EchoServer(IPAddress.Loopback);
        using var balancer = await RawClient.ConnectAsync(server.EndPoint, BalancerAddress);
        await balancer.SendAsync(V2("127.0.0.1:40000", "203.0.113.1:1080"));

        var reply = await balancer.ConnectSocks4Async(SocksEndpoint.FromEndPoint(echo.EndPoint), "alice");

        Assert.Equal(Windsock.Protocol.Socks4.Socks4ReplyCode.Granted, reply.Code);
        var (query, from) = Assert.Single(identd.Queries);
        Assert.Equal("40000 , 1080", query);
        Assert.Equal(server.EndPoint.Address, from.Address);
        var line = await server.WaitForLineAsync(l => l.Contains(" request ", StringComparison.Ordinal));
        Assert.Contains("client=127.0.0.1:40000", line, StringComparison.Ordinal);
        Assert.Contains("user=alice ident=alice", line, StringComparison.Ordinal);
    }
}
