using System.Net;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Server.Configuration;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Limits;

/// <summary>
/// The overall <c>sessions</c> count and <c>sessions_per_rule</c> against a real server: the session past the
/// limit is refused with reply 1 and the limit's reason on its end line, others go on being served, and a
/// session that ends gives its slot back.
/// </summary>
public sealed class SessionCountLimitsTests
{
    private static readonly IPAddress OtherSource = IPAddress.Parse("127.0.0.2");

    /// <summary>Two rules that split the loopback destinations by family, so each rule's count can be filled on its own.</summary>
    private const string TwoRules = """
        [limits]
        sessions_per_rule = 1

        [[rule]]
        name = "ipv4 loopback"
        action = "allow"
        to = ["127.0.0.0/8"]

        [[rule]]
        name = "ipv6 loopback"
        action = "allow"
        to = ["::1/128"]
        """;

    private static async Task<(RawClient Client, Socks5ReplyCode Code)> ConnectAsync(TestServer server, IPEndPoint destination, IPAddress? from = null)
    {
        var client = await RawClient.ConnectAsync(server.EndPoint, from);
        return (client, (await client.ConnectSocks5Async(SocksEndpoint.FromEndPoint(destination))).Code);
    }

    /// <summary>The end line of <paramref name="client"/>'s session (the address read now: the client may be closed before the line comes).</summary>
    private static Task<string> EndLineOfAsync(TestServer server, RawClient client)
    {
        string marker = $"client={client.Socket.LocalEndPoint} ";
        return server.WaitForLineAsync(l => l.Contains(" end ", StringComparison.Ordinal) && l.Contains(marker, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Sessions_overall_refuses_the_one_past_the_limit_from_any_source_and_frees_a_slot_on_close()
    {
        await using var server = TestServer.Start(o => o with { Limits = o.Limits with { Sessions = 2 } });
        await using var echo = new EchoServer(IPAddress.Loopback);

        // Two sources: the overall count is the server's, not one source's.
        var (first, code1) = await ConnectAsync(server, echo.EndPoint);
        var (second, code2) = await ConnectAsync(server, echo.EndPoint, OtherSource);
        using var keep = second;
        Assert.Equal((Socks5ReplyCode.Succeeded, Socks5ReplyCode.Succeeded), (code1, code2));

        var (third, code3) = await ConnectAsync(server, echo.EndPoint, OtherSource);
        using (third)
        {
            Assert.Equal(Socks5ReplyCode.GeneralFailure, code3);
            Assert.True(await third.IsClosedByServerAsync());
            var refused = await EndLineOfAsync(server, third);
            Assert.Contains("reply=1 ", refused, StringComparison.Ordinal);
            Assert.Contains("limit sessions=2 reached for the server", refused, StringComparison.Ordinal);
        }

        // The sessions already admitted go on relaying while the server is full.
        await keep.SendAsync("still here"u8.ToArray());
        Assert.Equal("still here"u8.ToArray(), await keep.ReadExactlyAsync(10));

        var firstEnded = EndLineOfAsync(server, first);
        first.Dispose();
        var ended = await firstEnded;
        Assert.Contains("reason=closed", ended, StringComparison.Ordinal);
        var (again, againCode) = await ConnectAsync(server, echo.EndPoint);
        using (again)
        {
            Assert.Equal(Socks5ReplyCode.Succeeded, againCode);
        }
    }

    [Fact]
    public async Task Sessions_per_rule_counts_each_rule_apart_and_frees_a_slot_on_close()
    {
        await using var server = TestServer.Start(_ => ConfigLoader.Parse(TwoRules, "limits.toml") with
        {
            Listen = [new IPEndPoint(IPAddress.Loopback, 0), new IPEndPoint(IPAddress.IPv6Loopback, 0)],
        });
        await using var echo4 = new EchoServer(IPAddress.Loopback);
        await using var echo6 = new EchoServer(IPAddress.IPv6Loopback);

        var (held, heldCode) = await ConnectAsync(server, echo4.EndPoint);
        Assert.Equal(Socks5ReplyCode.Succeeded, heldCode);

        // Another source to the same rule: the rule's count is full whoever asks.
        var (refused, refusedCode) = await ConnectAsync(server, echo4.EndPoint, OtherSource);
        using (refused)
        {
            Assert.Equal(Socks5ReplyCode.GeneralFailure, refusedCode);
            var line = await EndLineOfAsync(server, refused);
            Assert.Contains("reply=1 ", line, StringComparison.Ordinal);
            Assert.Contains("limit sessions_per_rule=1 reached for ", line, StringComparison.Ordinal);
            Assert.Contains("ipv4 loopback", line, StringComparison.Ordinal);
        }

        // The other rule has its own count.
        var (other, otherCode) = await ConnectAsync(server, echo6.EndPoint);
        using (other)
        {
            Assert.Equal(Socks5ReplyCode.Succeeded, otherCode);
        }

        var heldEnded = EndLineOfAsync(server, held);
        held.Dispose();
        await heldEnded;
        var (again, againCode) = await ConnectAsync(server, echo4.EndPoint, OtherSource);
        using (again)
        {
            Assert.Equal(Socks5ReplyCode.Succeeded, againCode);
        }
    }
}
