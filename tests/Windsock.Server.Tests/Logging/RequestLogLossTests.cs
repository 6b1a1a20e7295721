using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipes;
using System.Net;
using System.Text;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Server.Configuration;
using Windsock.Server.Logging;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Logging;

/// <summary>
/// The request log's reader stalls (a pipe nobody reads) or its disk is full (/dev/full): sessions never
/// wait for the log, memory stays bounded (<see cref="RequestLog.Capacity"/> lines), and the lost lines
/// are counted, said once in the diagnostic log, and marked by a line in the request log when writing
/// works again; stopping waits for a stalled reader at most <see cref="RequestLog.DrainTimeout"/>. Before: an
/// unbounded queue (memory grew for as long as the reader stalled) and no count; then a stop that never ended.
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

    /// <summary>
    /// The whole-server form of the stalled reader: `windsock serve | reader` where the reader stops reading.
    /// The request log writes to a pipe nobody drains; the writer is stuck in a write (its first line is
    /// larger than the pipe, so it stays stuck, and the queue behind it fills and stays full). Meanwhile
    /// 320 CONNECT sessions, each with a request and an end line, must complete in bounded time, another
    /// client's checksummed stream must keep flowing, and every one of their lines is counted as lost.
    /// When the reader resumes, the queued lines arrive, then the line marking the gap with the exact
    /// count, then new sessions' lines again.
    /// </summary>
    [Fact]
    public async Task A_server_whose_log_reader_stalls_serves_every_session_and_the_stream_and_marks_the_counted_gap_when_reading_resumes()
    {
        const int Workers = 8;
        const int SessionsPerWorker = 40;
        var sessionBound = TimeSpan.FromSeconds(5);
        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        using var reader = new AnonymousPipeClientStream(PipeDirection.In, pipe.ClientSafePipeHandle);
        var counted = new HandOverCountingStream(pipe);
        var diagnostics = new CollectingLogger();
        var output = new StreamWriter(counted, new UTF8Encoding(false));
        var drained = new ConcurrentQueue<string>();
        using var lineDrained = new SemaphoreSlim(0);
        Task? draining = null;
        void ResumeReading() => draining ??= Task.Run(async () =>
        {
            using var lines = new StreamReader(reader, Encoding.UTF8);
            while (await lines.ReadLineAsync() is { } line)
            {
                drained.Enqueue(line);
                lineDrained.Release();
            }
        });

        async Task<string> WaitForDrainedLineAsync(Func<string, bool> predicate)
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (true)
            {
                if (drained.FirstOrDefault(predicate) is { } match)
                {
                    return match;
                }

                try
                {
                    await lineDrained.WaitAsync(bound.Token);
                }
                catch (OperationCanceledException)
                {
                    throw new TimeoutException($"no such line among the {drained.Count} read from the pipe");
                }
            }
        }

        await using var echo = new EchoServer(IPAddress.Loopback);
        var server = TestServer.Start(logger: diagnostics, logOutput: output);
        try
        {
            long formatted = 0;
            server.RequestLog.LineWritten += _ => Interlocked.Increment(ref formatted);
            await using var stream = await ChecksummedStream.StartAsync(server.EndPoint, echo.EndPoint);
            await stream.WaitForProgressAsync(64 * 1024, TimeSpan.FromSeconds(30));

            // The reader stalls: a line larger than the pipe (64 KiB) keeps the writer in its write for good
            // (once more than the stream's request line was handed over, the writer holds it), and the queue
            // fills behind it. The first line lost proves it is full.
            server.RequestLog.WriteNotice("stall " + new string('s', 1024 * 1024));
            await counted.WaitForHandOverAsync(16 * 1024, TimeSpan.FromSeconds(10));
            for (int i = 0; i < RequestLog.Capacity + 1; i++)
            {
                server.RequestLog.WriteNotice($"filler {i}");
            }

            Assert.Equal(1, server.RequestLog.LostLines);
            long lostBefore = server.RequestLog.LostLines;
            long formattedBefore = Interlocked.Read(ref formatted);

            // Sessions meanwhile: each connects, relays a small exchange and closes, within the bound.
            var destination = SocksEndpoint.FromEndPoint(echo.EndPoint);
            var slowest = TimeSpan.Zero;
            var slowestLock = new Lock();
            var sessions = Enumerable.Range(0, Workers).Select(_ => Task.Run(async () =>
            {
                var payload = new byte[1024];
                Random.Shared.NextBytes(payload);
                for (int i = 0; i < SessionsPerWorker; i++)
                {
                    var clock = Stopwatch.StartNew();
                    using (var client = await RawClient.ConnectAsync(server.EndPoint))
                    {
                        Assert.Equal(Socks5ReplyCode.Succeeded, (await client.ConnectSocks5Async(destination)).Code);
                        await client.SendAsync(payload);
                        Assert.Equal(payload, await client.ReadExactlyAsync(payload.Length));
                    }

                    var took = clock.Elapsed;
                    lock (slowestLock)
                    {
                        slowest = took > slowest ? took : slowest;
                    }
                }
            })).ToList();
            await Task.WhenAll(sessions).WaitAsync(TimeSpan.FromSeconds(60));
            TestContext.Current.TestOutputHelper?.WriteLine($"{Workers * SessionsPerWorker} sessions while the reader stalled; the slowest took {slowest.TotalMilliseconds:0} ms");
            Assert.True(slowest < sessionBound, $"the slowest session took {slowest.TotalMilliseconds:0} ms (bound {sessionBound.TotalSeconds:0} s)");

            // Each session's end line follows its close: wait (bounded) for all 2 x 320, then all are lost.
            const int SessionLines = 2 * Workers * SessionsPerWorker;
            var wait = Stopwatch.StartNew();
            while (Interlocked.Read(ref formatted) - formattedBefore < SessionLines && wait.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(20); // polls a counter the sessions' ends update; bounded
            }

            Assert.Equal(SessionLines, Interlocked.Read(ref formatted) - formattedBefore);
            Assert.Equal(SessionLines, server.RequestLog.LostLines - lostBefore);
            Assert.Single(diagnostics.Messages, m => m.Contains("Request log lines are being lost", StringComparison.Ordinal) && m.Contains("queue is full", StringComparison.Ordinal));

            // Still stalled, the stream still flows.
            await stream.WaitForProgressAsync(256 * 1024, TimeSpan.FromSeconds(30));

            // The reader resumes: the stuck line and the queue go through, then the mark of the gap, exact.
            long lost = server.RequestLog.LostLines;
            ResumeReading();
            var marker = await WaitForDrainedLineAsync(line => line.Contains("lines lost", StringComparison.Ordinal));
            Assert.Contains($"request log: {lost} lines lost ({lost} since start)", marker, StringComparison.Ordinal);
            Assert.Contains(drained, line => line == $"filler {RequestLog.Capacity - 1}");
            Assert.DoesNotContain(drained, line => line == $"filler {RequestLog.Capacity}");

            // And new sessions are logged again.
            using (var client = await RawClient.ConnectAsync(server.EndPoint))
            {
                Assert.Equal(Socks5ReplyCode.Succeeded, (await client.ConnectSocks5Async(destination)).Code);
                string port = $":{((IPEndPoint)client.Socket.LocalEndPoint!).Port}";
                await WaitForDrainedLineAsync(line => line.Contains(" request ", StringComparison.Ordinal) && line.Contains(port, StringComparison.Ordinal));
            }

            var result = await stream.FinishAsync(TimeSpan.FromSeconds(30));
            Assert.True(result.Intact, result.ToString());
            Assert.Equal(lost, server.RequestLog.LostLines);
        }
        finally
        {
            ResumeReading(); // a failed assertion must not leave the writer stuck in its write, nor the disposal
            await server.DisposeAsync();
            await output.DisposeAsync(); // closes the pipe: the drain sees its end
            await draining!.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>
    /// Stopping must not wait on the reader either: `windsock serve | reader` with a stalled reader got SIGTERM,
    /// stopped its sessions, then waited for good on the request log's writer, stuck in its write. The stop now
    /// gives the writer <see cref="RequestLog.DrainTimeout"/>, then counts what is still queued as lost and says so.
    /// </summary>
    [Fact]
    public async Task A_server_whose_log_reader_stalls_stops_in_bounded_time_and_counts_the_lines_it_could_not_write()
    {
        const int Notices = 100;
        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        var reader = new AnonymousPipeClientStream(PipeDirection.In, pipe.ClientSafePipeHandle);
        var counted = new HandOverCountingStream(pipe);
        var diagnostics = new CollectingLogger();
        var output = new StreamWriter(counted, new UTF8Encoding(false));
        await using var echo = new EchoServer(IPAddress.Loopback);
        var server = TestServer.Start(logger: diagnostics, logOutput: output);
        Task? stopping = null;
        try
        {
            server.RequestLog.WriteNotice("stall " + new string('s', 1024 * 1024));
            await counted.WaitForHandOverAsync(16 * 1024, TimeSpan.FromSeconds(10));
            for (int i = 0; i < Notices; i++)
            {
                server.RequestLog.WriteNotice($"queued {i}");
            }

            // A session too: its request line, and its end line when it closes.
            using (var client = await RawClient.ConnectAsync(server.EndPoint))
            {
                Assert.Equal(Socks5ReplyCode.Succeeded, (await client.ConnectSocks5Async(SocksEndpoint.FromEndPoint(echo.EndPoint))).Code);
            }

            var clock = Stopwatch.StartNew();
            stopping = server.DisposeAsync().AsTask();
            await stopping.WaitAsync(RequestLog.DrainTimeout + TimeSpan.FromSeconds(20));
            clock.Stop();
            TestContext.Current.TestOutputHelper?.WriteLine($"stopped in {clock.Elapsed.TotalMilliseconds:0} ms");

            Assert.Equal(Notices + 2, server.RequestLog.LostLines);
            Assert.Single(diagnostics.Messages, m => m.Contains($"{Notices + 2} queued lines were not written", StringComparison.Ordinal));
        }
        finally
        {
            reader.Dispose(); // the stuck write fails (EPIPE) and the writer ends, whatever happened above
            await (stopping ?? server.DisposeAsync().AsTask()).WaitAsync(TimeSpan.FromSeconds(30));
            // Not output.DisposeAsync: the abandoned writer's write may still be failing on it, and what it
            // buffered cannot go anywhere. Closing the pipe is enough.
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

    /// <summary>Passes writes to the pipe and counts the bytes handed over (at the start of each write, which may then block).</summary>
    private sealed class HandOverCountingStream(Stream inner) : Stream
    {
        private readonly SemaphoreSlim _wrote = new(0);
        private long _handedOver;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        /// <summary>Waits (bounded) until writes of at least <paramref name="bytes"/> in all have started.</summary>
        public async Task WaitForHandOverAsync(long bytes, TimeSpan timeout)
        {
            using var bound = new CancellationTokenSource(timeout);
            while (Interlocked.Read(ref _handedOver) < bytes)
            {
                await _wrote.WaitAsync(bound.Token);
            }
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            HandOver(count);
            inner.Write(buffer, offset, count);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            HandOver(buffer.Length);
            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                _wrote.Dispose();
            }

            base.Dispose(disposing);
        }

        private void HandOver(int count)
        {
            Interlocked.Add(ref _handedOver, count);
            _wrote.Release();
        }
    }
}
