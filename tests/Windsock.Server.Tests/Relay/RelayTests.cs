using System.Net;
using System.Net.Sockets;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Relay;

public class RelayTests
{
    [Fact]
    public async Task Half_close_keeps_the_other_direction_flowing()
    {
        await using var server = TestServer.Start();
        // The echo server answers with a trailer only after it has seen the client's FIN.
        await using var echo = new EchoServer(IPAddress.Loopback, trailer: "after-fin"u8.ToArray());
        using var client = await RawClient.ConnectAsync(server.EndPoint);
        await client.ConnectSocks5Async(SocksEndpoint.FromEndPoint(echo.EndPoint));

        await client.SendAsync("request"u8.ToArray());
        client.Socket.Shutdown(SocketShutdown.Send);

        var received = await client.ReadToEndAsync();
        Assert.Equal("requestafter-fin"u8.ToArray(), received);
        var end = await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal));
        Assert.Contains("reason=closed", end, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Idle_sessions_are_closed_after_the_idle_timeout()
    {
        await using var server = TestServer.Start(o => o with { IdleTimeout = TimeSpan.FromMilliseconds(400) });
        await using var echo = new EchoServer(IPAddress.Loopback);
        using var client = await RawClient.ConnectAsync(server.EndPoint);
        await client.ConnectSocks5Async(SocksEndpoint.FromEndPoint(echo.EndPoint));
        await client.SendAsync(1);
        Assert.Equal(new byte[] { 1 }, await client.ReadExactlyAsync(1));

        Assert.True(await client.IsClosedByServerAsync(TimeSpan.FromSeconds(10)));
        await server.WaitForLineAsync(l => l.Contains("reason=\"idle timeout\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Destination_reset_ends_the_session_and_closes_the_client()
    {
        await using var server = TestServer.Start();
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = await RawClient.ConnectAsync(server.EndPoint);
        var connecting = client.ConnectSocks5Async(SocksEndpoint.FromEndPoint((IPEndPoint)listener.LocalEndPoint!));
        using (var accepted = await listener.AcceptAsync())
        {
            Assert.Equal(Socks5ReplyCode.Succeeded, (await connecting).Code);
            accepted.LingerState = new LingerOption(true, 0);
        }

        Assert.True(await client.IsClosedByServerAsync());
        await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal));
    }
}
