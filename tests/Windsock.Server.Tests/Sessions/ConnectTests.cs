using System.Net;
using System.Security.Cryptography;
using Windsock.Protocol;
using Windsock.Protocol.Socks4;
using Windsock.Protocol.Socks5;
using Windsock.Server.Tests.Support;

using Xunit;

namespace Windsock.Server.Tests.Sessions;

public class ConnectTests
{
    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("::1", false)]
    [InlineData("127.0.0.1", true)]
    [InlineData("::1", true)]
    public async Task Socks5_connect_relays_and_reports_the_real_outbound_address(string target, bool viaIPv6Listener)
    {
        await using var server = TestServer.Start();
        await using var echo = new EchoServer(IPAddress.Parse(target));
        using var client = await RawClient.ConnectAsync(viaIPv6Listener ? server.EndPointV6 : server.EndPoint);

        var reply = await client.ConnectSocks5Async(SocksEndpoint.FromEndPoint(echo.EndPoint));

        Assert.Equal(Socks5ReplyCode.Succeeded, reply.Code);
        await client.SendAsync("hello"u8.ToArray());
        Assert.Equal("hello"u8.ToArray(), await client.ReadExactlyAsync(5));

        // After the echo, not before: the reply may reach the client before the echo server's accept has returned.
        Assert.True(echo.Peers.TryPeek(out var peer));
        Assert.Equal(peer, reply.Bound.ToIPEndPoint());
    }

    [Fact]
    public async Task Socks5_connect_resolves_names_on_the_server()
    {
        await using var server = TestServer.Start();
        await using var echo = new EchoServer(IPAddress.Loopback);
        using var client = await RawClient.ConnectAsync(server.EndPoint);

        var reply = await client.ConnectSocks5Async(SocksEndpoint.FromHost("localhost", (ushort)echo.EndPoint.Port));

        Assert.Equal(Socks5ReplyCode.Succeeded, reply.Code);
        await client.SendAsync(1, 2, 3);
        Assert.Equal(new byte[] { 1, 2, 3 }, await client.ReadExactlyAsync(3));
        var line = await server.WaitForLineAsync(l => l.Contains(" request ", StringComparison.Ordinal));
        Assert.Contains($"dest=localhost:{echo.EndPoint.Port}", line, StringComparison.Ordinal);
        Assert.Contains($"connected=127.0.0.1:{echo.EndPoint.Port}", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Socks4_and_4a_connect_relay()
    {
        await using var server = TestServer.Start();
        await using var echo = new EchoServer(IPAddress.Loopback);

        using (var client = await RawClient.ConnectAsync(server.EndPoint))
        {
            var reply = await client.ConnectSocks4Async(SocksEndpoint.FromEndPoint(echo.EndPoint), "alice");
            Assert.Equal(Socks4ReplyCode.Granted, reply.Code);
            await client.SendAsync(42);
            Assert.Equal(new byte[] { 42 }, await client.ReadExactlyAsync(1));
        }

        using (var client = await RawClient.ConnectAsync(server.EndPoint))
        {
            var reply = await client.ConnectSocks4Async(SocksEndpoint.FromHost("localhost", (ushort)echo.EndPoint.Port), "bob");
            Assert.Equal(Socks4ReplyCode.Granted, reply.Code);
            await client.SendAsync(43);
            Assert.Equal(new byte[] { 43 }, await client.ReadExactlyAsync(1));
        }

        await server.WaitForLineAsync(l => l.Contains("version=4a", StringComparison.Ordinal) && l.Contains("user=bob", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Refused_connection_is_reply_5_and_socks4_91()
    {
        await using var server = TestServer.Start();
        var closedPort = FreePort.Closed();

        using (var client = await RawClient.ConnectAsync(server.EndPoint))
        {
            var reply = await client.ConnectSocks5Async(SocksEndpoint.FromAddress(IPAddress.Loopback, closedPort));
            Assert.Equal(Socks5ReplyCode.ConnectionRefused, reply.Code);
            Assert.True(await client.IsClosedByServerAsync());
        }

        using (var client = await RawClient.ConnectAsync(server.EndPoint))
        {
            var reply = await client.ConnectSocks4Async(SocksEndpoint.FromAddress(IPAddress.Loopback, closedPort));
            Assert.Equal(Socks4ReplyCode.RejectedOrFailed, reply.Code);
        }
    }

    [Fact]
    public async Task Unresolvable_name_is_host_unreachable()
    {
        await using var server = TestServer.Start();
        using var client = await RawClient.ConnectAsync(server.EndPoint);

        // .invalid never resolves (RFC 6761), so no query leaves the machine with an answer.
        var reply = await client.ConnectSocks5Async(SocksEndpoint.FromHost("no-such-host.invalid", 80));

        Assert.Equal(Socks5ReplyCode.HostUnreachable, reply.Code);
    }

    [Fact]
    public async Task Pipelined_greeting_request_and_data_arrive_in_order()
    {
        await using var server = TestServer.Start();
        await using var echo = new EchoServer(IPAddress.Loopback);
        using var client = await RawClient.ConnectAsync(server.EndPoint);
        var request = new Socks5Request(Socks5Command.Connect, SocksEndpoint.FromEndPoint(echo.EndPoint));
        var bytes = new byte[3 + request.EncodedLength + 4];
        Socks5Greeting.Write(bytes, [0x00]);
        request.Write(bytes.AsSpan(3));
        "ping"u8.CopyTo(bytes.AsSpan(3 + request.EncodedLength));

        await client.SendAsync(bytes);

        Assert.Equal(new byte[] { 5, 0 }, await client.ReadExactlyAsync(2));
        Assert.Equal(Socks5ReplyCode.Succeeded, (await client.ReadSocks5ReplyAsync()).Code);
        Assert.Equal("ping"u8.ToArray(), await client.ReadExactlyAsync(4));
    }

    [Fact]
    public async Task Sixteen_MiB_each_way_arrive_intact()
    {
        await using var server = TestServer.Start();
        await using var echo = new EchoServer(IPAddress.Loopback);
        using var client = await RawClient.ConnectAsync(server.EndPoint);
        Assert.Equal(Socks5ReplyCode.Succeeded, (await client.ConnectSocks5Async(SocksEndpoint.FromEndPoint(echo.EndPoint))).Code);
        var payload = RandomNumberGenerator.GetBytes(16 * 1024 * 1024);

        var sending = Task.Run(async () =>
        {
            await client.Socket.SendAsync(payload, System.Net.Sockets.SocketFlags.None);
            client.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        });
        var received = await client.ReadToEndAsync(TimeSpan.FromSeconds(60));
        await sending;

        Assert.Equal(SHA256.HashData(payload), SHA256.HashData(received));
        var end = await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal));
        Assert.Contains($"bytes_up={payload.Length}", end, StringComparison.Ordinal);
        Assert.Contains($"bytes_down={payload.Length}", end, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_hundred_concurrent_sessions_all_work()
    {
        await using var server = TestServer.Start();
        await using var echo = new EchoServer(IPAddress.Loopback);

        var sessions = Enumerable.Range(0, 200).Select(async i =>
        {
            using var client = await RawClient.ConnectAsync(server.EndPoint);
            Assert.Equal(Socks5ReplyCode.Succeeded, (await client.ConnectSocks5Async(SocksEndpoint.FromEndPoint(echo.EndPoint))).Code);
            var data = BitConverter.GetBytes(i);
            await client.SendAsync(data);
            Assert.Equal(data, await client.ReadExactlyAsync(data.Length));
        });

        await Task.WhenAll(sessions);
    }
}
