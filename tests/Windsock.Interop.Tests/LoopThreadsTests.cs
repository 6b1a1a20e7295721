using System.Globalization;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>WINDSOCK_LOOP_THREADS on the real `windsock serve`: it sets how many handshake loop threads serve, and a value that is not one stops the start.</summary>
public sealed class LoopThreadsTests
{
    [Fact]
    public async Task A_value_that_is_not_a_thread_count_stops_the_start_with_the_fix()
    {
        var result = await ProcessRunner.RunAsync(
            Tools.Dotnet, [Tools.WindsockDll, "serve", "--listen", "127.0.0.1:0"], timeout: Timeouts.Start,
            environment: new Dictionary<string, string> { ["WINDSOCK_LOOP_THREADS"] = "two" });

        Assert.False(result.TimedOut, result.Describe());
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("WINDSOCK_LOOP_THREADS=two is not a number of handshake loop threads. fix: a whole number from 1 to 64", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task The_server_runs_that_many_loop_threads_and_serves_through_them(int threads)
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the handshake loop is Linux only");
        await using var echo = new LoopbackEchoServer();
        await using var server = await WindsockProcess.StartAsync(
            ["--listen", "127.0.0.1:0"], hostsFile: null,
            environment: new Dictionary<string, string> { ["WINDSOCK_LOOP_THREADS"] = threads.ToString(CultureInfo.InvariantCulture) });

        // ncat's SOCKS5 CONNECT starts the loop (on first use) and goes through it.
        byte[] payload = Clients.Payload(4096, seed: threads);
        var ncat = await Clients.NcatAsync(server.IPv4, "socks5", "127.0.0.1", echo.Port, payload);
        Expect.Success(ncat, server);
        Assert.Equal(Clients.Sha256(payload), Clients.Sha256(ncat.Stdout));

        // The kernel cuts thread names to 15 bytes: "windsock handshake loop" is "windsock handsh".
        int loopThreads = Directory.GetDirectories($"/proc/{server.Pid}/task")
            .Count(task => File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n') == "windsock handsh");
        Assert.Equal(threads, loopThreads);
    }
}
