namespace Windsock.Server.Sessions;

/// <summary>
/// Reused cancellation sources for handshake deadlines (the negotiation timeout).
/// <para>
/// Why reuse: a socket keeps its last pending receive's cancellation registration after the receive completed (in
/// .NET's cached operation), so a source made per session for the handshake stayed reachable, with its registrations
/// and the sources it was linked to, for as long as the session relayed: hundreds of bytes per idle session. A source
/// from here goes back when the handshake is over (when it did not fire), so what the socket still points at is a
/// source the next handshake uses anyway.
/// </para>
/// </summary>
internal sealed class DeadlineSources(TimeProvider time)
{
    // Enough for the handshakes a busy server runs at once; beyond it sources are simply dropped.
    private const int MaxPooled = 256;

    private readonly CancellationTokenSource[] _pooled = new CancellationTokenSource[MaxPooled];
    private readonly Lock _gate = new();
    private int _count;

    /// <summary>A source that cancels after <paramref name="timeout"/> on the server's clock.</summary>
    public CancellationTokenSource Rent(TimeSpan timeout)
    {
        CancellationTokenSource? source = null;
        lock (_gate)
        {
            if (_count > 0)
            {
                source = _pooled[--_count];
                _pooled[_count] = null!;
            }
        }

        if (source is null)
        {
            return new CancellationTokenSource(timeout, time);
        }

        source.CancelAfter(timeout);
        return source;
    }

    /// <summary>Gives a source back once nothing registers on it any more; one that fired is disposed instead.</summary>
    public void Return(CancellationTokenSource source)
    {
        if (source.TryReset())
        {
            lock (_gate)
            {
                if (_count < MaxPooled)
                {
                    _pooled[_count++] = source;
                    return;
                }
            }
        }

        source.Dispose();
    }
}
