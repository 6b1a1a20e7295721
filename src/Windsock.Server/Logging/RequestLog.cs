using System.Buffers;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Windsock.Server.Configuration;
using Windsock.Server.Sessions;

namespace Windsock.Server.Logging;

/// <summary>
/// The request log: every session's request and end lines, written by one background writer so that
/// a slow terminal or pipe never stalls a session. Lines are formatted on the session's thread (the
/// record keeps changing after the call) and queued up to <see cref="Capacity"/>: a reader that stopped
/// reading (a pipe nobody drains) or a disk that is full must not stop the proxy, nor grow its memory
/// without end. Lines that find the queue full, or whose write fails, are counted in <see cref="LostLines"/>;
/// the diagnostic log says so once when losing starts, and when writing works again a notice line in
/// the request log itself gives the count, so a reader of the log sees where the gap is.
/// </summary>
public sealed class RequestLog : IAsyncDisposable
{
    /// <summary>Lines waiting for the writer at most (a few MiB of text).</summary>
    public const int Capacity = 16_384;

    /// <summary>
    /// How long stopping waits for the writer to get the queued lines out. A reader that stalled would
    /// otherwise keep the process from exiting: the writer is stuck in its write until someone reads.
    /// </summary>
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    private readonly Channel<QueuedLine> _lines = Channel.CreateBounded<QueuedLine>(new BoundedChannelOptions(Capacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails at once: the line is counted, never waited for
    });
    // The writer thread sleeps on this when the queue is empty and a session's line wakes it: one futex wake, no
    // thread-pool work item (whose workers spin for work after each one) and no spinning wait (an AutoResetEvent
    // blocks at once), so a session on the handshake loop hands nothing to the pool. Under load the writer naps
    // between batches instead and nobody wakes it (docs/benchmarks.md, "The whole session on the loop").
    private readonly AutoResetEvent _wake = new(false);
    private int _sleeping;


    private readonly TextWriter _output;
    private readonly LogFormat _format;
    private readonly TimeProvider _time;
    private readonly ILogger? _diagnostics;
    private readonly bool _pooledLines;
    private readonly TaskCompletionSource _writerEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _lost;
    private long _lostReported;
    private int _losing;
    private int _abandoned;

    /// <param name="output">Where the lines go (standard output for `windsock serve`).</param>
    /// <param name="format">Text or JSON lines.</param>
    /// <param name="time">The clock of the lines' time stamps.</param>
    /// <param name="diagnostics">Told once when lines start being lost and once when writing works again.</param>
    public RequestLog(TextWriter output, LogFormat format, TimeProvider time, ILogger? diagnostics = null)
    {
        _output = output;
        _format = format;
        _time = time;
        _diagnostics = diagnostics;
        // A StreamWriter (standard output in `windsock serve`) copies a line from a character buffer as it would from a
        // string; other writers (the reopening log file, which writes strings) get strings.
        _pooledLines = format == LogFormat.Text && output.GetType() == typeof(StreamWriter);

        // A thread of its own that blocks in its waits and writes: a stalled reader stalls this thread only, and
        // stopping gives up on it after the drain timeout (it is a background thread, so the process still exits).
        var writer = new Thread(WriteLines) { IsBackground = true, Name = "windsock request log" };
        writer.UnsafeStart();
    }

    /// <summary>Raised for each line after it is formatted (tests and metrics listen here).</summary>
    public event Action<string>? LineWritten;

    /// <summary>Lines lost since start: the queue was full (the reader stalled) or writing failed (disk full, closed pipe).</summary>
    public long LostLines => Interlocked.Read(ref _lost);

    public void Write(RequestLogEvent logEvent, SessionRecord record)
    {
        var now = _time.GetUtcNow();
        if (_pooledLines && LineWritten is null)
        {
            // Two lines per session: formatted into a pooled buffer that goes back once written, no string made.
            var chars = RequestLogFormatter.FormatTextPooled(logEvent, record, now, out int length);
            if (!Enqueue(new QueuedLine(null, chars, length)))
            {
                ArrayPool<char>.Shared.Return(chars);
            }

            return;
        }

        var line = RequestLogFormatter.Format(_format, logEvent, record, now);
        Enqueue(new QueuedLine(line, null, 0));
        LineWritten?.Invoke(line);
    }

    /// <summary>Writes a line that is not about a session (startup notices), in order with the others.</summary>
    public void WriteNotice(string line) => Enqueue(new QueuedLine(line, null, 0));

    private bool Enqueue(QueuedLine line)
    {
        if (!_lines.Writer.TryWrite(line))
        {
            Lose(1, "the queue is full: the request log's reader is not keeping up");
            return false;
        }

        WakeWriter();
        return true;
    }

    private void Lose(long count, string reason)
    {
        Interlocked.Add(ref _lost, count);
        if (Interlocked.Exchange(ref _losing, 1) == 0 && _diagnostics is not null)
        {
            ServerLog.RequestLogLosing(_diagnostics, reason);
        }
    }

    private void WriteLines()
    {
        var reader = _lines.Reader;
        try
        {
            while (Volatile.Read(ref _abandoned) == 0 && !reader.Completion.IsCompleted)
            {
                int pending = 0;
                try
                {
                    while (Volatile.Read(ref _abandoned) == 0 && reader.TryRead(out var line))
                    {
                        pending++;
                        if (line.Text is { } text)
                        {
                            _output.WriteLine(text);
                            continue;
                        }

                        try
                        {
                            _output.WriteLine(line.Chars.AsSpan(0, line.Length));
                        }
                        finally
                        {
                            ArrayPool<char>.Shared.Return(line.Chars!);
                        }
                    }

                    if (pending > 0)
                    {
                        _output.Flush();
                        // The lines got through: if some had been lost, the mark of the gap follows them at once.
                        ReportLoss();
                    }
                }
                catch (IOException e)
                {
                    // stdout gone or its disk full: keep serving; what was not flushed is lost, and counted.
                    Lose(pending, $"writing failed: {e.Message}");
                }
                catch (ObjectDisposedException e)
                {
                    Lose(pending, $"the output is closed: {e.Message}");
                }

                SleepUntilQueued(reader, pending > 0);
            }
        }
        finally
        {
            _writerEnded.TrySetResult();
        }
    }

    /// <summary>
    /// How long the writer naps after writing before it looks again, un-woken: while sessions keep coming it writes a
    /// batch per nap, and no session pays a wake for its line; a request line shows at most this much later.
    /// </summary>
    internal static readonly TimeSpan Nap = TimeSpan.FromMilliseconds(2);

    /// <summary>
    /// After a batch, a <see cref="Nap"/> in which nobody wakes the writer; then, the queue still empty, sleeps until a
    /// line wakes it. Says it sleeps before it looks, and a writer of a line looks after it queued it
    /// (<see cref="WakeWriter"/>, both with full fences): a line queued in between is either seen here or wakes the
    /// event. A wake for a line already taken only makes the next sleep return at once.
    /// </summary>
    private void SleepUntilQueued(ChannelReader<QueuedLine> reader, bool wrote)
    {
        if (wrote && !reader.Completion.IsCompleted)
        {
            _ = _wake.WaitOne(Nap);
            if (reader.TryPeek(out _))
            {
                return;
            }
        }

        Interlocked.Exchange(ref _sleeping, 1);
        if (!reader.TryPeek(out _) && !reader.Completion.IsCompleted)
        {
            _wake.WaitOne();
        }

        Interlocked.Exchange(ref _sleeping, 0);
    }

    private void WakeWriter()
    {
        if (Interlocked.CompareExchange(ref _sleeping, 0, 1) == 1)
        {
            _wake.Set();
        }
    }

    /// <summary>After a loss, once writing works again: a line saying how many went missing, in the log itself.</summary>
    private void ReportLoss()
    {
        long lost = Interlocked.Read(ref _lost);
        if (lost == Interlocked.Read(ref _lostReported))
        {
            return;
        }

        string text = string.Create(CultureInfo.InvariantCulture, $"request log: {lost - _lostReported} lines lost ({lost} since start): the queue was full or writing failed");
        _output.WriteLine(LossNotice(lost - _lostReported, lost, text));
        _output.Flush();
        long reported = lost - _lostReported;
        _lostReported = lost;
        Interlocked.Exchange(ref _losing, 0);
        if (_diagnostics is not null)
        {
            ServerLog.RequestLogRecovered(_diagnostics, reported, lost);
        }
    }

    private string LossNotice(long lost, long total, string text)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        if (_format == LogFormat.Text)
        {
            return $"{LogTimestamp.Format(now)} {text}";
        }

        using var stream = new MemoryStream();
        using (var json = new System.Text.Json.Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("time", now);
            json.WriteString("event", "lines-lost");
            json.WriteNumber("lost", lost);
            json.WriteNumber("lost_total", total);
            json.WriteString("message", text);
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    public async ValueTask DisposeAsync()
    {
        _lines.Writer.TryComplete();
        _wake.Set();
        try
        {
            await _writerEnded.Task.WaitAsync(DrainTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The reader stalled: stop anyway. The writer, should its write ever return, writes no more lines;
            // those still queued are lost (a line taken in the same instant may be counted although written).
            Interlocked.Exchange(ref _abandoned, 1);
            int queued = _lines.Reader.Count;
            long total = Interlocked.Add(ref _lost, queued);
            if (_diagnostics is not null)
            {
                ServerLog.RequestLogAbandoned(_diagnostics, DrainTimeout.TotalSeconds, queued, total);
            }

            return;
        }

        try
        {
            ReportLoss();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // Still failing at the end: the diagnostic log said so when the losing started.
        }
    }

    /// <summary>A line waiting for the writer: a string, or the first <c>Length</c> characters of a pooled buffer.</summary>
    private readonly record struct QueuedLine(string? Text, char[]? Chars, int Length);
}
