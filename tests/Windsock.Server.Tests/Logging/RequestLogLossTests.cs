using System.Diagnostics;
using System.IO.Pipes;
using System.Net;
using System.Text;
using Windsock.Server.Configuration;
using Windsock.Server.Logging;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Logging;

/// <summary>
/// The request log's reader stalls (a pipe nobody reads) or its disk is full (/dev/full): sessions never
/// wait for the log, memory stays bounded (<see cref="RequestLog.Capacity"/> lines), and the lost lines
/// are counted, said once in the diagnostic log, and marked by a line in the request log when writing
/// works again. Before: an unbounded queue (memory grew for as long as the reader stalled) and no count.
/// </summary>
public sealed class RequestLogLossTests
{
    private const int Flood = RequestLog.Capacity + 20_000;

    [Fact]
    public async Task A_stalled_reader_never_blocks_writers_and_the_gap_is_counted_and_marked_when_it_reads_again()
    {
        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        using var reader = new AnonymousPipeClientStream(PipeDirection.In, pipe.ClientSafePipeHandle);
        var diagnostics = new CollectingLogger();
        var log = new RequestLog(new StreamWriter(pipe, new UTF8Encoding(false)), LogFormat.Text, TimeProvider.System, diagnostics);
        try
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < Flood; i++)
            {
                log.WriteNotice($"line {i} " + new string('x', 100));
            }

            clock.Stop();
            // Nobody reads: the pipe (64 KiB) and the queue fill, the rest is counted, and no call waited.
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"{Flood} writes took {clock.Elapsed}");
            long lost = log.LostLines;
            Assert.InRange(lost, Flood - RequestLog.Capacity - 2_000, Flood - RequestLog.Capacity);
            Assert.Contains(diagnostics.Messages, m => m.Contains("Request log lines are being lost", StringComparison.Ordinal));
            Assert.Single(diagnostics.Messages, m => m.Contains("being lost", StringComparison.Ordinal));

            // The reader comes back: everything queued arrives, then the line that marks the gap.
            using var lines = new StreamReader(reader, Encoding.UTF8);
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            string? marker = null;
            while (marker is null && await lines.ReadLineAsync(bound.Token) is { } line)
            {
                if (line.Contains("lines lost", StringComparison.Ordinal))
                {
                    marker = line;
                }
            }

            Assert.NotNull(marker);
            Assert.Contains($"request log: {lost} lines lost", marker, StringComparison.Ordinal);
        }
        finally
        {
            pipe.Dispose(); // the writer's pending write fails (EPIPE) instead of waiting on the reader
            await log.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_full_disk_loses_lines_not_sessions_and_counts_every_line()
    {
        Assert.SkipUnless(File.Exists("/dev/full"), "needs /dev/full");
        var diagnostics = new CollectingLogger();
        await using var full = new StreamWriter(new FileStream("/dev/full", FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 1), new UTF8Encoding(false));
        int written = 0;
        await using (var server = TestServer.Start(logger: diagnostics, logOutput: full))
        {
            server.RequestLog.LineWritten += _ => Interlocked.Increment(ref written);
            await using var echo = new EchoServer(IPAddress.Loopback);
            await using (var stream = await ChecksummedStream.StartAsync(server.EndPoint, echo.EndPoint))
            {
                await stream.WaitForProgressAsync(512 * 1024, TimeSpan.FromSeconds(30));
                // More sessions meanwhile, each with its own lines that cannot be written.
                for (int i = 0; i < 20; i++)
                {
                    using var client = await RawClient.ConnectAsync(server.EndPoint);
                    await client.SendAsync(5, 1, 0);
                    Assert.Equal(new byte[] { 5, 0 }, await client.ReadExactlyAsync(2));
                }

                var result = await stream.FinishAsync();
                Assert.True(result.Intact, result.ToString());
            }

            // 22 sessions (the stream's and 20 more): a request line for the stream, an end line each.
            var clock = Stopwatch.StartNew();
            while ((Volatile.Read(ref written) < 22 || server.RequestLog.LostLines < Volatile.Read(ref written)) && clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(20); // polls counters that the sessions and the background writer update; bounded
            }

            Assert.True(Volatile.Read(ref written) >= 22, $"{written} lines");

            Assert.Equal(Volatile.Read(ref written), server.RequestLog.LostLines);
        }

        Assert.Single(diagnostics.Messages, m => m.Contains("Request log lines are being lost", StringComparison.Ordinal) && m.Contains("No space left", StringComparison.Ordinal));
    }
}
