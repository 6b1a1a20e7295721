using System.Diagnostics;
using System.Net;
using Windsock.Protocol.Socks5;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Sessions;

/// <summary>
/// TCP_DEFER_ACCEPT on the SOCKS listeners (Linux): the kernel hands a connection over with its first bytes, and a
/// client that says nothing only after about a second, after which the negotiation timeout runs as for anyone.
/// </summary>
public sealed class DeferredAcceptTests
{
    private const string SynReceived = "03";

    [Fact]
    public async Task Every_socks_listener_asks_the_kernel_to_hand_connections_over_with_their_first_bytes()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "TCP_DEFER_ACCEPT is Linux only");
        await using var server = TestServer.Start(); // both families, as the default

        Assert.Equal(2, server.Server.Listeners.Count);
        foreach (var listener in server.Server.Listeners)
        {
            Assert.Equal(DeferredAccept.Seconds, DeferredAccept.Read(listener));
        }
    }

    [Fact]
    public async Task A_greeting_client_is_served_at_once_and_a_silent_one_is_handed_over_later_and_cut_at_the_negotiation_timeout()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "TCP_DEFER_ACCEPT is Linux only");
        var timeout = TimeSpan.FromMilliseconds(500);
        await using var server = TestServer.Start(o => o with { NegotiationTimeout = timeout });

        // Connected as far as the client can tell, but still a request socket in the kernel: nothing accepted it.
        var clock = Stopwatch.StartNew();
        using var silent = await RawClient.ConnectAsync(server.EndPoint);
        var silentEnd = (IPEndPoint)silent.Socket.LocalEndPoint!;
        Assert.Equal(SynReceived, ServerSideState(server.EndPoint.Port, silentEnd.Port));

        // One that greets is handed over with its greeting and answered while the silent one waits.
        using (var greeting = await RawClient.ConnectAsync(server.EndPoint))
        {
            Assert.Equal((byte)AuthMethod.None, await greeting.GreetAsync(AuthMethod.None));
        }

        // After the deferral (the kernel's first SYN-ACK retransmit, about a second) the silent client is accepted,
        // and its negotiation timeout cuts it.
        Assert.True(await silent.IsClosedByServerAsync(TimeSpan.FromSeconds(15)), "the silent client was never cut");
        Assert.True(clock.Elapsed >= timeout, $"cut after {clock.Elapsed.TotalSeconds:0.00}s, before the negotiation timeout");
        await server.WaitForLineAsync(l => l.Contains("negotiation timeout", StringComparison.Ordinal));
    }

    /// <summary>The state (hex, as /proc/net/tcp writes it) of the server's side of the connection from <paramref name="clientPort"/>.</summary>
    private static string? ServerSideState(int serverPort, int clientPort)
    {
        string local = $"0100007F:{serverPort:X4}";
        string remote = $"0100007F:{clientPort:X4}";
        return File.ReadLines("/proc/net/tcp")
            .Skip(1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .FirstOrDefault(f => f[1] == local && f[2] == remote)?[3];
    }
}
