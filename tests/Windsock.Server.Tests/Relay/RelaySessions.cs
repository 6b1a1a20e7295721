using System.Net.Sockets;
using System.Security.Cryptography;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Relay;

/// <summary>What the relay tests with many sessions share: opening them, one exchange each, the end lines, closing.</summary>
internal static class RelaySessions
{
    /// <summary>How long any one wait of these tests may take before it fails.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    /// <summary><paramref name="sessions"/> clients, each through <paramref name="server"/> to <paramref name="echo"/>, each told success.</summary>
    public static async Task<List<RawClient>> OpenAsync(TestServer server, EchoServer echo, int sessions)
    {
        var clients = new List<RawClient>();
        for (int i = 0; i < sessions; i++)
        {
            var client = await RawClient.ConnectAsync(server.EndPoint);
            clients.Add(client);
            Assert.Equal(Socks5ReplyCode.Succeeded, (await client.ConnectSocks5Async(SocksEndpoint.FromEndPoint(echo.EndPoint))).Code);
        }

        return clients;
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
