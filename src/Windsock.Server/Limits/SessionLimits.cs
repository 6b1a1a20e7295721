namespace Windsock.Server.Limits;

/// <summary>
/// What one admitted session holds against the <c>[limits]</c>: its slots in the session counts and the
/// bandwidth buckets of its user and rule. Disposed when the session ends, which gives the slots back.
/// A session with no bandwidth limit has no <see cref="Up"/> or <see cref="Down"/>, and its relay keeps the
/// splice path.
/// </summary>
public sealed class SessionLimits : IDisposable
{
    private readonly List<IDisposable> _held = [];

    /// <summary>Paces client-to-destination bytes; null when no bandwidth limit applies that way.</summary>
    public BandwidthPacer? Up { get; private set; }

    /// <summary>Paces destination-to-client bytes.</summary>
    public BandwidthPacer? Down { get; private set; }

    /// <summary>True when either direction is paced: the relay must use the paced copy loop.</summary>
    public bool IsPaced => Up is not null || Down is not null;

    internal void Hold(IDisposable lease) => _held.Add(lease);

    internal void PaceUp(TokenBucket bucket) => Up = (Up ?? new BandwidthPacer()).With(bucket);

    internal void PaceDown(TokenBucket bucket) => Down = (Down ?? new BandwidthPacer()).With(bucket);

    public void Dispose()
    {
        foreach (var lease in _held)
        {
            lease.Dispose();
        }

        _held.Clear();
    }
}
