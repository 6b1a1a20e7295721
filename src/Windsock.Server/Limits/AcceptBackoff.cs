using System.Net;
using Microsoft.Extensions.Logging;
using Windsock.Server.Logging;

namespace Windsock.Server.Limits;

/// <summary>
/// One listener's pause while the process is out of file descriptors: the wait doubles from
/// <see cref="FirstWait"/> up to <see cref="LongestWait"/>, the diagnostic log says so once when the
/// pause starts and once when accepting works again (with how long it lasted and how many connections
/// were closed meanwhile), never once per retry. Connections that arrive meanwhile wait in the
/// listen queue and are served on recovery.
/// </summary>
internal sealed class AcceptBackoff
{
    public static readonly TimeSpan FirstWait = TimeSpan.FromMilliseconds(20);
    public static readonly TimeSpan LongestWait = TimeSpan.FromSeconds(1);

    private readonly IPEndPoint _listener;
    private readonly TimeProvider _time;
    private TimeSpan _wait = FirstWait;
    private long _pausedSince;
    private long _closed;
    private bool _paused;

    public AcceptBackoff(IPEndPoint listener, TimeProvider time)
    {
        _listener = listener;
        _time = time;
    }

    public bool IsPaused => _paused;

    /// <summary>Out of descriptors (again): logs if the pause starts now, then waits the current time and doubles it.</summary>
    public async Task PauseAsync(ILogger logger, ulong? limit, bool closedOne, CancellationToken cancellationToken)
    {
        if (closedOne)
        {
            _closed++;
        }

        if (!_paused)
        {
            _paused = true;
            _pausedSince = _time.GetTimestamp();
            ServerLog.DescriptorsExhausted(logger, _listener, limit?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown",
                limit is { } known ? DescriptorHeadroom.Headroom(known) : 0, LongestWait.TotalSeconds);
        }

        var wait = _wait;
        _wait = TimeSpan.FromTicks(Math.Min(_wait.Ticks * 2, LongestWait.Ticks));
        await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A connection was served with descriptors scarce (near the limit, or a paused listener recovering):
    /// waits the shortest time, and a pause in progress goes on (its next wait is the shortest again).
    /// </summary>
    public Task SlowDownAsync(CancellationToken cancellationToken)
    {
        _wait = FirstWait;
        return Task.Delay(FirstWait, _time, cancellationToken);
    }

    /// <summary>A connection was accepted with descriptors plenty: ends a pause (logging it once) and resets the wait.</summary>
    public void Accepted(ILogger logger)
    {
        if (!_paused)
        {
            return;
        }

        ServerLog.DescriptorsRecovered(logger, _listener, _time.GetElapsedTime(_pausedSince).TotalSeconds, _closed);
        _paused = false;
        _wait = FirstWait;
        _closed = 0;
    }
}
