using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Server.Relay;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Relay;

/// <summary>What the relay tests with many sessions share: opening them, one exchange each, the end lines, closing.</summary>
internal static class RelaySessions
{
    /// <summary>How long any one wait of these tests may take before it fails.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    /// <summary><paramref name="sessions"/> clients, each through <paramref name="server"/> to <paramref name="echo"/>, each told success.</summary>
    /// <remarks>When one fails, those opened so far are closed before the failure goes on.</remarks>
    public static async Task<List<RawClient>> OpenAsync(TestServer server, EchoServer echo, int sessions)
    {
        var clients = new List<RawClient>();
        try
        {
            for (int i = 0; i < sessions; i++)
            {
                var client = await RawClient.ConnectAsync(server.EndPoint);
                clients.Add(client);
                Assert.Equal(Socks5ReplyCode.Succeeded, (await client.ConnectSocks5Async(SocksEndpoint.FromEndPoint(echo.EndPoint))).Code);
            }
        }
        catch
        {
            DisposeAll(clients);
            throw;
        }

        return clients;
    }

    /// <summary>
    /// Bounded: the relays started on the loop reach <paramref name="expected"/>, or the test fails. A relay starts right
    /// after the success reply is sent, so a client may see its reply a moment before. Every session counts: one that
    /// went on through the thread pool (a wait reported between its IsCompleted and its OnCompleted did, before waits
    /// were armed after their run) would relay there instead and fall short here.
    /// </summary>
    public static async Task WaitForStartedAsync(long expected)
    {
        using var bound = new CancellationTokenSource(Bound);
        while (LoopRelay.Started < expected)
        {
            Assert.False(bound.IsCancellationRequested, $"relays started on the loop: {LoopRelay.Started}, expected at least {expected}");
            await Task.Delay(10, CancellationToken.None);
        }
    }

    /// <summary>
    /// <paramref name="sessions"/> sessions through <paramref name="server"/> to an echo, all relaying on the loop; then
    /// <paramref name="meanwhile"/> runs, and every client must see the server close its connection and the request log
    /// end each session with <paramref name="reason"/>.
    /// </summary>
    public static async Task AssertAllEndAsync(TestServer server, int sessions, string reason, Func<Task> meanwhile)
    {
        await using var echo = new EchoServer(IPAddress.Loopback);
        long started = LoopRelay.Started;
        var clients = await OpenAsync(server, echo, sessions);
        try
        {
            await WaitForStartedAsync(started + sessions);
            await meanwhile();
            await AssertAllClosedByServerAsync(clients);

            await WaitForLinesAsync(server, $"reason=\"{reason}\"", sessions);
        }
        finally
        {
            DisposeAll(clients);
        }
    }

    /// <summary>Each of <paramref name="clients"/> sees the server close its connection (10 s each at most).</summary>
    public static async Task AssertAllClosedByServerAsync(IEnumerable<RawClient> clients)
    {
        foreach (var client in clients)
        {
            Assert.True(await client.IsClosedByServerAsync(TimeSpan.FromSeconds(10)));
        }
    }

    /// <summary>Bounded: the server has logged at least <paramref name="count"/> lines holding <paramref name="needle"/>.</summary>
    public static async Task WaitForLinesAsync(TestServer server, string needle, int count)
    {
        using var bound = new CancellationTokenSource(Bound);
        while (server.Lines.Count(l => l.Contains(needle, StringComparison.Ordinal)) < count)
        {
            Assert.False(bound.IsCancellationRequested, $"fewer than {count} lines with {needle}:\n" + string.Join('\n', server.Lines));
            await Task.Delay(10, CancellationToken.None);
        }
    }

    /// <summary>Sends <paramref name="bytes"/> through an echoing session; the digests of what went and what came back.</summary>
    public static async Task<(string Sent, string Received)> ExchangeAsync(Socket socket, byte[] bytes)
    {
        var echoed = SpliceRelayTests.ReadExactlyAsync(socket, bytes.Length);
        await socket.SendAsync(bytes, SocketFlags.None);
        return (Convert.ToHexString(SHA256.HashData(bytes)), Convert.ToHexString(SHA256.HashData(await echoed)));
    }

    public static void DisposeAll(List<RawClient> clients)
    {
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }
}
