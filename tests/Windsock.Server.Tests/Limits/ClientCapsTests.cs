using System.Net;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Server.Configuration;
using Windsock.Server.Limits;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Limits;

/// <summary>
/// The per-source caps against a real server in process, at their default values: half-open handshakes
/// and BIND listeners from one source are refused past the cap with the reason in the log, while another
/// source (127.0.0.2) is served as usual.
/// </summary>
public sealed class ClientCapsTests
{
    private static readonly IPAddress OtherSource = IPAddress.Parse("127.0.0.2");

    [Fact]
    public async Task Half_open_greetings_past_the_per_source_cap_are_refused_while_another_source_still_connects()
    {
        var log = new CollectingLogger();
        await using var server = TestServer.Start(logger: log);
        int cap = ClientLimits.Default.UnauthenticatedPerSource;
        Assert.Equal(256, cap);
        var held = new List<RawClient>();
        try
        {
            for (int i = 0; i < cap; i++)
            {
                // Greeted and answered, then silent: each holds a session that has not sent its request.
                var client = await RawClient.ConnectAsync(server.EndPoint);
                held.Add(client);
                Assert.Equal((byte)AuthMethod.None, await client.GreetAsync(AuthMethod.None));
            }

            Assert.Equal(cap, server.Context.Guards.Unauthenticated.HeldBy(SourceKey.From(IPAddress.Loopback)));
            for (int i = 0; i < 3; i++)
            {
                using var refused = await RawClient.ConnectAsync(server.EndPoint);
                Assert.True(await refused.IsClosedByServerAsync(), "the connection past the cap stays open");
            }

            var line = await server.WaitForLineAsync(l => l.Contains("limit unauthenticated_per_source=256 reached for 127.0.0.1", StringComparison.Ordinal));
            Assert.Contains(" end ", line, StringComparison.Ordinal);
            Assert.Single(log.Messages, m => m.Contains("limit unauthenticated_per_source=256 reached for 127.0.0.1", StringComparison.Ordinal));

            using (var other = await RawClient.ConnectAsync(server.EndPoint, OtherSource))
            {
                Assert.Equal((byte)AuthMethod.None, await other.GreetAsync(AuthMethod.None));
            }

            // A held session that sends its request is authenticated and no longer counted: room for one more.
            await using var echo = new EchoServer(IPAddress.Loopback);
            Assert.Equal(Socks5ReplyCode.Succeeded, (await held[0].RequestAsync(Socks5Command.Connect, SocksEndpoint.FromEndPoint(echo.EndPoint))).Code);
            using var next = await RawClient.ConnectAsync(server.EndPoint);
            Assert.Equal((byte)AuthMethod.None, await next.GreetAsync(AuthMethod.None));
        }
        finally
        {
            held.ForEach(client => client.Dispose());
        }
    }

    [Fact]
    public async Task Bind_listeners_past_the_per_source_cap_are_refused_while_another_source_still_binds()
    {
        var log = new CollectingLogger();
        await using var server = TestServer.Start(logger: log);
        int cap = ClientLimits.Default.BindPerSource;
        Assert.Equal(32, cap);
        var destination = SocksEndpoint.FromAddress(IPAddress.Loopback, 21);
        var held = new List<RawClient>();
        try
        {
            for (int i = 0; i < cap; i++)
            {
                var client = await RawClient.ConnectAsync(server.EndPoint);
                held.Add(client);
                Assert.Equal(Socks5ReplyCode.Succeeded, (await BindAsync(client, destination)).Code);
            }

            using (var refused = await RawClient.ConnectAsync(server.EndPoint))
            {
                Assert.Equal(Socks5ReplyCode.GeneralFailure, (await BindAsync(refused, destination)).Code);
            }

            var line = await server.WaitForLineAsync(l => l.Contains("limit bind_per_source=32 reached for 127.0.0.1", StringComparison.Ordinal));
            Assert.Contains("command=bind", line, StringComparison.Ordinal);
            Assert.Single(log.Messages, m => m.Contains("limit bind_per_source=32 reached for 127.0.0.1", StringComparison.Ordinal));

            using (var other = await RawClient.ConnectAsync(server.EndPoint, OtherSource))
            {
                Assert.Equal(Socks5ReplyCode.Succeeded, (await BindAsync(other, destination)).Code);
            }

            // A client that goes away frees its listener, and its place.
            var leaving = held[0];
            int port = ((IPEndPoint)leaving.Socket.LocalEndPoint!).Port;
            leaving.Dispose();
            await server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal) && l.Contains($"127.0.0.1:{port} ", StringComparison.Ordinal));
            using var again = await RawClient.ConnectAsync(server.EndPoint);
            Assert.Equal(Socks5ReplyCode.Succeeded, (await BindAsync(again, destination)).Code);
        }
        finally
        {
            held.ForEach(client => client.Dispose());
        }
    }

    private static async Task<Socks5Reply> BindAsync(RawClient client, SocksEndpoint destination)
    {
        Assert.Equal((byte)AuthMethod.None, await client.GreetAsync(AuthMethod.None));
        return await client.RequestAsync(Socks5Command.Bind, destination);
    }
}
