using Windsock.Server.Logging;

namespace Windsock.Server.Sessions.Steps;

/// <summary>
/// Step 9, record: the session's one request-log writer. The <c>request</c> line is written once, when the
/// client is told the decision (its first reply, or a silent drop); the <c>end</c> line once, when the
/// session closes. Nothing else in the server writes either line.
/// </summary>
internal sealed class RecordStep
{
    private readonly SessionRecord _record;
    private readonly RequestLog _log;
    private bool _decided;

    public RecordStep(SessionRecord record, RequestLog log)
    {
        _record = record;
        _log = log;
    }

    /// <summary>Writes the request line the first time it is called; later calls (BIND's second reply) write nothing.</summary>
    public void Decided()
    {
        if (_decided)
        {
            return;
        }

        _decided = true;
        _log.Write(RequestLogEvent.Request, _record);
    }

    /// <summary>Writes the end line: bytes, duration, why the session ended.</summary>
    public void Ended() => _log.Write(RequestLogEvent.End, _record);
}
