using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// A real `windsock serve` whose RLIMIT_NOFILE is lowered (prlimit) below what a flood of clients
/// needs. Before the fix the accept loop logged a `fail:` line every 50 ms and, in 2 runs of 3, the
/// runtime aborted the whole process with "Out of memory." (a thread start needs a pipe). Now it pauses
/// accepting with a backoff, says so once, keeps an established client's stream flowing and intact,
/// and serves new clients again once descriptors are free.
/// </summary>
[Trait("Needs", "windsock-serve")]
public sealed class DescriptorExhaustionTests
{
    private const string Paused = "Out of file descriptors";
    private const string Resumed = "File descriptors available again";

    [Fact]
    public async Task Running_out_of_descriptors_pauses_accepting_once_and_recovers_while_another_stream_flows()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var echo = new EchoServer(IPAddress.Loopback);
        await using var server = await WindsockProcess.StartAsync("--listen", "127.0.0.1:0");
        await using var stream = await ChecksummedStream.StartAsync(server.IPv4, echo.EndPoint);
        await stream.WaitForProgressAsync(256 * 1024, Timeouts.Client);

        // Room for about 150 more descriptors than the server holds now; the flood asks for three times that.
        int open = Directory.GetFiles($"/proc/{server.Pid}/fd").Length;
        int limit = open + 150;
        var prlimit = await ProcessRunner.RunAsync("/usr/bin/prlimit", [$"--pid={server.Pid}", $"--nofile={limit}:{limit}"], timeout: TimeSpan.FromSeconds(10));
        Assert.True(prlimit.ExitCode == 0, prlimit.Describe());

        var flood = new List<Socket>();
        try
        {
            await Task.WhenAll(Enumerable.Range(0, 450).Select(async _ =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                lock (flood)
                {
                    flood.Add(socket);
                }

                using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
                bound.CancelAfter(TimeSpan.FromSeconds(20));
                await socket.ConnectAsync(server.IPv4, bound.Token);
                await socket.SendAsync(new byte[] { 5, 1, 0 }, SocketFlags.None, bound.Token);
            }));

            await server.WaitForErrorLineAsync(l => l.Contains(Paused, StringComparison.Ordinal), "the pause line");
            // The stream goes on meanwhile: several backoff steps' worth (the longest wait is 1 s).
            await stream.WaitForProgressAsync(8 * 1024 * 1024, Timeouts.Client);
            Assert.False(server.HasExited, server.Transcript());
        }
        finally
        {
            foreach (var socket in flood)
            {
                socket.Dispose();
            }
        }

        // Descriptors free again: a new client gets its method choice (retried: the queue still holds the flood's leftovers).
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            deadline.CancelAfter(Timeouts.LogLine);
            Assert.True(await ServedAsync(server.IPv4, deadline.Token), "no client was served after the flood ended\n" + server.Transcript());
        }

        await server.WaitForErrorLineAsync(l => l.Contains(Resumed, StringComparison.Ordinal), "the recovery line");
        var result = await stream.FinishAsync();
        Assert.True(result.Intact, result + "\n" + server.Transcript());

        var diagnostics = server.StderrLines;
        Assert.True(diagnostics.Count(l => l.Contains(Paused, StringComparison.Ordinal)) == 1, "the pause is logged once\n" + server.Transcript());
        Assert.True(diagnostics.Count(l => l.Contains(Resumed, StringComparison.Ordinal)) == 1, "the recovery is logged once\n" + server.Transcript());
        Assert.DoesNotContain(diagnostics, l => l.Contains("fail:", StringComparison.Ordinal) || l.Contains("Out of memory", StringComparison.Ordinal));
        Assert.False(server.HasExited, server.Transcript());
        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"limit {limit} (was {open} open); stream: {result}"));
    }

    private static async Task<bool> ServedAsync(IPEndPoint proxy, CancellationToken deadline)
    {
        while (!deadline.IsCancellationRequested)
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(deadline);
                attempt.CancelAfter(TimeSpan.FromSeconds(2));
                await client.ConnectAsync(proxy, attempt.Token);
                await client.SendAsync(new byte[] { 5, 1, 0 }, SocketFlags.None, attempt.Token);
                var reply = new byte[2];
                if (await client.ReceiveAsync(reply, SocketFlags.None, attempt.Token) == 2 && reply[0] == 5 && reply[1] == 0)
                {
                    return true;
                }
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                // Closed while the server still sheds its queue: try again (bounded by the deadline).
            }
        }

        return false;
    }
}
