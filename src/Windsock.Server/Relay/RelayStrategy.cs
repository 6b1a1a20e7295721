namespace Windsock.Server.Relay;

/// <summary>
/// How one direction of a relay moves its bytes: <see cref="CopyStrategy"/> (pooled buffer),
/// <see cref="SpliceStrategy"/> (kernel pipe, Linux) or <see cref="GssapiWrapStrategy"/> (RFC 1961 messages).
/// Everything else (stopping, the idle timeout, who failed, byte counts, the result) is
/// <see cref="TcpRelay"/>'s, the same for every strategy.
/// <para>
/// A pump returns when its direction is finished: the source sent FIN (passed on as a half-close), the relay
/// was stopped (<see cref="TcpRelay.Stopped"/>), or a socket failed (reported with <see cref="TcpRelay.Fail"/>,
/// which stops the relay). It reports the bytes it moved with <see cref="TcpRelay.CountMoved"/>. It throws
/// nothing: a pump that does anyway fails its source side and the relay still ends cleanly.
/// </para>
/// </summary>
internal abstract class RelayStrategy
{
    /// <summary>The plain relay the configuration asks for: splice where the platform has it, else the copy loop.</summary>
    public static RelayStrategy Plain(RelayMode mode, int bufferSize) =>
        mode == RelayMode.Splice && SplicePipePool.IsSupported ? SpliceStrategy.For(bufferSize) : CopyStrategy.For(bufferSize);

    /// <summary>
    /// How this strategy moves bytes, in a word for the live session list: "splice", "copy", "paced" (the copy loop
    /// under a bandwidth limit) or "gssapi" (wrapped messages).
    /// </summary>
    public abstract string Name { get; }

    public abstract Task PumpAsync(TcpRelay relay, RelayDirection direction);

    /// <summary>
    /// The direction from start to finish as the relay runs it: the pump, with its failures reported to the relay and
    /// its parking place left at the end (<see cref="TcpRelay.RunPumpAsync"/>). A strategy that parks without awaiting
    /// (<see cref="SpliceStrategy"/>) does both itself.
    /// </summary>
    public virtual ValueTask RunAsync(TcpRelay relay, RelayDirection direction) => new(relay.RunPumpAsync(this, direction));
}
