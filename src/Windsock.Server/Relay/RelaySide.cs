namespace Windsock.Server.Relay;

/// <summary>Which part of a relay failed first: it decides the <see cref="RelayEnd"/> the request log shows.</summary>
internal enum RelaySide
{
    /// <summary>Nothing failed (both sides closed, or the relay was stopped).</summary>
    None,

    /// <summary>The client's socket.</summary>
    Client,

    /// <summary>The destination's socket.</summary>
    Destination,

    /// <summary>A protected session's message from the client did not pass (GSSAPI); the relay keeps the reason.</summary>
    Protection,
}
