using System.Net;
using System.Net.Sockets;
using Windsock.Protocol;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Sessions;

public class ShutdownTests
{
    [Fact]
    public async Task Stop_refuses_new_clients_lets_running_sessions_drain_then_cuts_them()
    {
        await using var server = TestServer.Start();
        await using var echo = new EchoServer(IPAddress.Loopback);
        using var client = await RawClient.ConnectAsync(server.EndPoint);
        await client.ConnectSocks5Async(SocksEndpoint.FromEndPoint(echo.EndPoint));

        var stopping = server.Server.StopAsync(TimeSpan.FromSeconds(1));

        // New connections are refused once the listener is closed...
        await Assert.ThrowsAnyAsync<SocketException>(async () =>
        {
            using var late = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await late.ConnectAsync(server.EndPoint);
        });

        // ...while the running session keeps relaying during the grace time...
        await client.SendAsync(9);
        Assert.Equal(new byte[] { 9 }, await client.ReadExactlyAsync(1));

        // ...and is cut when it is over.
        await stopping.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.True(await client.IsClosedByServerAsync());
        await server.WaitForLineAsync(l => l.Contains("server shutdown", StringComparison.Ordinal));
    }
}
