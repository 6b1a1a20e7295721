using System.Globalization;

namespace Windsock.Server.Outbound;

/// <summary>
/// The health of one chain of an upstream route, as gost's max_fails/fail_timeout and glider's checks keep it:
/// up while it has failed fewer than <c>maxFailures</c> times in a row; then down for <c>retryTime</c>, during which
/// requests skip it; after that it is up for trial, and its next outcome decides (one more failure takes it down
/// again at once, since the count is only reset by a success). Thread-safe; the clock is the server's.
/// </summary>
public sealed class ChainHealth
{
    private readonly int _maxFailures;
    private readonly TimeSpan _retryTime;
    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private int _failures;
    private DateTimeOffset? _downUntil;
    private string? _lastFailure;

    public ChainHealth(int maxFailures, TimeSpan retryTime, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFailures, 1);
        ArgumentNullException.ThrowIfNull(time);
        _maxFailures = maxFailures;
        _retryTime = retryTime;
        _time = time;
    }

    /// <summary>Failures in a row since the last success.</summary>
    public int Failures
    {
        get
        {
            lock (_gate)
            {
                return _failures;
            }
        }
    }

    /// <summary>Whether a request may use the chain now: it is up, or its retry time has passed.</summary>
    public bool IsAvailable
    {
        get
        {
            lock (_gate)
            {
                return _downUntil is not { } until || _time.GetUtcNow() >= until;
            }
        }
    }

    /// <summary>A request went through: the count starts again. True when the chain had been taken down (it is back).</summary>
    public bool Succeeded()
    {
        lock (_gate)
        {
            bool wasDown = _downUntil is not null;
            _failures = 0;
            _downUntil = null;
            _lastFailure = null;
            return wasDown;
        }
    }

    /// <summary>A request could not get through the chain. True when this failure takes it down (it is skipped from now).</summary>
    public bool Failed(string reason)
    {
        lock (_gate)
        {
            _failures++;
            _lastFailure = reason;
            if (_failures < _maxFailures)
            {
                return false;
            }

            _downUntil = _time.GetUtcNow() + _retryTime;
            return true;
        }
    }

    /// <summary>"up", "up, 1 of 3 failures", "down for 12s more after 3 failures (last: ...)", "on trial after ...".</summary>
    public string Describe()
    {
        lock (_gate)
        {
            if (_downUntil is not { } until)
            {
                return _failures == 0 ? "up" : string.Create(CultureInfo.InvariantCulture, $"up, {_failures} of {_maxFailures} failures (last: {_lastFailure})");
            }

            TimeSpan left = until - _time.GetUtcNow();
            return left > TimeSpan.Zero
                ? string.Create(CultureInfo.InvariantCulture, $"down for {Math.Ceiling(left.TotalSeconds):0}s more after {_failures} failures (last: {_lastFailure})")
                : string.Create(CultureInfo.InvariantCulture, $"on trial after {_failures} failures (last: {_lastFailure})");
        }
    }
}
