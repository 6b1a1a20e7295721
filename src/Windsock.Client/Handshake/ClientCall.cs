namespace Windsock.Client.Handshake;

/// <summary>
/// One public call of the client (a connect, a BIND, an association, a lookup): its options and the
/// handshake clock. Flows with the async call (AsyncLocal) down to the handshake code, so the reason wait,
/// the logger and the timeout reach every hop's negotiation without threading them through each
/// signature, and concurrent calls never mix.
/// </summary>
internal sealed class ClientCall : IDisposable
{
    private static readonly AsyncLocal<ClientCall?> Ambient = new();

    private readonly ClientCall? _outer;
    private readonly CancellationToken _caller;
    private readonly CancellationTokenSource _deadline;
    private bool _clockStarted;

    private ClientCall(SocksClientOptions options, CancellationToken caller)
    {
        _outer = Ambient.Value;
        _caller = caller;
        _deadline = CancellationTokenSource.CreateLinkedTokenSource(caller);
        Options = options;
        Ambient.Value = this;
    }

    /// <summary>The call in progress on this async flow, if any.</summary>
    public static ClientCall? Current => Ambient.Value;

    public SocksClientOptions Options { get; }

    /// <summary>The caller's token, cancelled as well once the handshake clock runs out.</summary>
    public CancellationToken Token => _deadline.Token;

    /// <summary>True when the handshake clock, not the caller, ended the call.</summary>
    public bool TimedOut => _clockStarted && _deadline.IsCancellationRequested && !_caller.IsCancellationRequested;

    /// <summary>Starts a call; dispose it when the call returns.</summary>
    public static ClientCall Begin(SocksClientOptions options, CancellationToken cancellationToken) => new(options, cancellationToken);

    /// <summary>The TCP connection to the first hop is up: from now on the handshake has <see cref="SocksClientOptions.HandshakeTimeout"/>.</summary>
    public void StartHandshakeClock()
    {
        if (!_clockStarted && Options.HandshakeTimeout != Timeout.InfiniteTimeSpan)
        {
            _clockStarted = true;
            _deadline.CancelAfter(Options.HandshakeTimeout);
        }
    }

    public void Dispose()
    {
        Ambient.Value = _outer;
        _deadline.Dispose();
    }
}
