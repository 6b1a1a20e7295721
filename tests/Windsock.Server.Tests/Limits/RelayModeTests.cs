using System.Net;
using System.Text.Json;
using Windsock.Policy;
using Windsock.Protocol;
using Windsock.Protocol.Socks4;
using Windsock.Protocol.Socks5;
using Windsock.Server.Admin;
using Windsock.Server.Relay;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Limits;

/// <summary>
/// A bandwidth limit moves only the limited session to the paced copy loop: an unlimited session next to it, on
/// the same server at the same time, keeps splice. Read from the live session list (the status API's JSON) while
/// both relays carry bytes.
/// </summary>
public sealed class RelayModeTests
{
    [Fact]
    public async Task An_unlimited_session_keeps_splice_while_a_limited_one_is_paced()
    {
        Assert.SkipUnless(SplicePipePool.IsSupported, "splice(2) is Linux only");

        // alice is a SOCKS4 user id the identd confirms (so per-user limits count her); the SOCKS5 session is
        // anonymous (the identd knows no user for it), which per-user limits do not count.
        int alicePort = 0;
        await using var identd = new ScriptedIdentd(q => q.StartsWith($"{Volatile.Read(ref alicePort)} ,", StringComparison.Ordinal)
            ? ScriptedIdentd.UserReply(q, "alice")
            : q.Replace(" ", "", StringComparison.Ordinal) + ":ERROR:NO-USER\r\n");
        await using var server = TestServer.Start(o => o with
        {
            RelayMode = RelayMode.Splice,
            IdentMode = IdentMode.Check,
            IdentPort = identd.Port,
            Limits = o.Limits with { BandwidthPerUserDown = 64 * 1024 },
        });
        await using var echo = new EchoServer(IPAddress.Loopback);
        var destination = SocksEndpoint.FromEndPoint(echo.EndPoint);

        using var alice = await RawClient.ConnectAsync(server.EndPoint);
        Volatile.Write(ref alicePort, ((IPEndPoint)alice.Socket.LocalEndPoint!).Port);
        Assert.Equal(Socks4ReplyCode.Granted, (await alice.ConnectSocks4Async(destination, "alice")).Code);
        using var anonymous = await RawClient.ConnectAsync(server.EndPoint);
        Assert.Equal(Socks5ReplyCode.Succeeded, (await anonymous.ConnectSocks5Async(destination)).Code);

        // Both relays running (the echo came back through each) before the list is read.
        foreach (var client in new[] { alice, anonymous })
        {
            await client.SendAsync("through the relay"u8.ToArray());
            Assert.Equal("through the relay"u8.ToArray(), await client.ReadExactlyAsync(17));
        }

        using var json = JsonDocument.Parse(StatusJson.Sessions(server.Context.Metrics.Live.Snapshot(), DateTimeOffset.UtcNow));
        var sessions = json.RootElement.GetProperty("sessions").EnumerateArray().ToDictionary(s => s.GetProperty("client").GetString()!);
        var paced = sessions[alice.Socket.LocalEndPoint!.ToString()!];
        var spliced = sessions[anonymous.Socket.LocalEndPoint!.ToString()!];
        Assert.Equal(("alice", "paced"), (paced.GetProperty("user").GetString(), paced.GetProperty("relay_mode").GetString()));
        Assert.Equal(JsonValueKind.Null, spliced.GetProperty("user").ValueKind);
        Assert.Equal("splice", spliced.GetProperty("relay_mode").GetString());
        Assert.Equal(17, spliced.GetProperty("bytes_down").GetInt64());
    }
}
