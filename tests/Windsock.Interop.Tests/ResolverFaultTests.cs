using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// The server's resolver at its worst, through a real `windsock serve` whose /etc/resolv.conf (in a
/// private mount namespace) names the test's own DNS responder on 127.53.0.1: one name answered with
/// SERVFAIL, one never answered. The CONNECTs fail with the right reply codes and bounded times, and
/// another client's checksummed stream keeps flowing meanwhile.
/// </summary>
[Trait("Needs", "windsock-serve")]
public sealed class ResolverFaultTests
{
    [Fact]
    public async Task Servfail_and_a_silent_resolver_fail_their_connects_while_another_stream_flows()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var dns = new ScriptedDnsResponder(IPAddress.Parse("127.53.0.1"));
        using var dir = new TempDirectory();
        // glibc's own wait (5 s, twice) is longer than the server's connect_timeout (2 s): the silent case
        // shows the server's timeout, reply 6. SERVFAIL comes back at once: reply 4.
        var resolvConf = Path.Combine(dir.Path, "resolv.conf");
        await File.WriteAllTextAsync(resolvConf, $"nameserver {dns.Address}\noptions timeout:5 attempts:2\n", ct);
        var config = Path.Combine(dir.Path, "windsock.toml");
        await File.WriteAllTextAsync(config, "[server]\nlisten = [\"127.0.0.1:0\"]\nconnect_timeout = \"2s\"\n", ct);
        await using var server = await WindsockProcess.StartAsync(["--config", config], hostsFile: null, environment: null, networkNamespace: null, resolvConf: resolvConf);
        await using var echo = new EchoServer(IPAddress.Loopback);
        await using var stream = await ChecksummedStream.StartAsync(server.IPv4, echo.EndPoint);

        var servfail = "a." + ScriptedDnsResponder.ServfailSuffix;
        var (servfailCode, servfailTime) = await ConnectByNameAsync(server.IPv4, servfail, ct);
        Assert.True(servfailCode == 4, $"SERVFAIL: reply {servfailCode} after {servfailTime}\n{server.Transcript()}");
        Assert.Contains(dns.Questions, q => q.Equals(servfail, StringComparison.OrdinalIgnoreCase));

        var silent = "silent.windsock.test";
        var pending = ConnectByNameAsync(server.IPv4, silent, ct);
        await stream.WaitForProgressAsync(256 * 1024, Timeouts.Client); // flows while the lookup hangs
        var (silentCode, silentTime) = await pending;
        Assert.True(silentCode == 6, $"a silent resolver: reply {silentCode} after {silentTime}\n{server.Transcript()}");
        Assert.InRange(silentTime, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(20));
        Assert.Contains(dns.Questions, q => q.Equals(silent, StringComparison.OrdinalIgnoreCase));

        // The RESOLVE extension (CMD 0xF0) keeps the same deadline.
        var (resolveCode, resolveTime) = await ConnectByNameAsync(server.IPv4, "silent2.windsock.test", ct, command: 0xF0);
        Assert.True(resolveCode == 6, $"RESOLVE with a silent resolver: reply {resolveCode} after {resolveTime}\n{server.Transcript()}");
        Assert.InRange(resolveTime, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(8));

        var result = await stream.FinishAsync();
        Assert.True(result.Intact, result.ToString());
        await server.WaitForLineAsync(l => l.Contains(silent, StringComparison.Ordinal) && l.Contains("timed out", StringComparison.Ordinal), "the timed-out lookup's line");
    }

    /// <summary>SOCKS5 CONNECT (or <paramref name="command"/>) to NAME:80; the reply code and how long it took.</summary>
    private static async Task<(int Code, TimeSpan Took)> ConnectByNameAsync(IPEndPoint proxy, string name, CancellationToken ct, byte command = 1)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bound.CancelAfter(Timeouts.Client);
        await socket.ConnectAsync(proxy, bound.Token);
        await socket.SendAsync(new byte[] { 5, 1, 0 }, SocketFlags.None, bound.Token);
        var method = new byte[2];
        await socket.ReceiveAsync(method, SocketFlags.None, bound.Token);
        var host = Encoding.ASCII.GetBytes(name);
        var clock = Stopwatch.StartNew();
        await socket.SendAsync((byte[])[5, command, 0, 3, (byte)host.Length, .. host, 0, 80], SocketFlags.None, bound.Token);
        var reply = new byte[2];
        int read = 0;
        while (read < 2)
        {
            int n = await socket.ReceiveAsync(reply.AsMemory(read), SocketFlags.None, bound.Token);
            if (n == 0)
            {
                throw new InvalidOperationException("the proxy closed without a reply");
            }

            read += n;
        }

        return (reply[1], clock.Elapsed);
    }
}
