using System.Threading.Channels;
using Windsock.Server.Configuration;
using Windsock.Server.Sessions;

namespace Windsock.Server.Logging;

/// <summary>
/// The request log: every session's request and end lines, written by one background writer so that
/// a slow terminal or pipe never stalls a session. Lines are formatted on the session's thread (the
/// record keeps changing after the call) and queued without bound: an audit log drops nothing.
/// </summary>
public sealed class RequestLog : IAsyncDisposable
{
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TextWriter _output;
    private readonly LogFormat _format;
    private readonly TimeProvider _time;
    private readonly Task _writer;

    public RequestLog(TextWriter output, LogFormat format, TimeProvider time)
    {
        _output = output;
        _format = format;
        _time = time;
        _writer = Task.Run(WriteLinesAsync);
    }

    /// <summary>Raised for each line after it is formatted (tests and metrics listen here).</summary>
    public event Action<string>? LineWritten;

    public void Write(RequestLogEvent logEvent, SessionRecord record)
    {
        var line = RequestLogFormatter.Format(_format, logEvent, record, _time.GetUtcNow());
        _lines.Writer.TryWrite(line);
        LineWritten?.Invoke(line);
    }

    /// <summary>Writes a line that is not about a session (startup notices), in order with the others.</summary>
    public void WriteNotice(string line) => _lines.Writer.TryWrite(line);

    private async Task WriteLinesAsync()
    {
        var reader = _lines.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            try
            {
                while (reader.TryRead(out var line))
                {
                    await _output.WriteLineAsync(line).ConfigureAwait(false);
                }

                await _output.FlushAsync().ConfigureAwait(false);
            }
            catch (IOException)
            {
                // stdout gone (a closed pipe, a full disk): keep serving; the lines are lost, the proxy is not.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _lines.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }
}
