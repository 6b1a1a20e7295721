namespace Windsock.Server.Relay;

/// <summary>Why a relay ended, for the request log.</summary>
public enum RelayEnd
{
    /// <summary>Both sides closed their sending direction (FIN each way).</summary>
    Closed,

    /// <summary>No byte moved either way for the idle timeout.</summary>
    IdleTimeout,

    /// <summary>The server is shutting down and the drain time is over.</summary>
    Shutdown,

    /// <summary>The client's socket failed (reset, unreachable).</summary>
    ClientError,

    /// <summary>The destination's socket failed (reset, unreachable).</summary>
    DestinationError,

    /// <summary>A GSSAPI session's message from the client was refused (did not unwrap, or an abort); the relay says why.</summary>
    ProtectionFailed,
}
