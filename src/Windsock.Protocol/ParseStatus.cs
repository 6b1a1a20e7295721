namespace Windsock.Protocol;

/// <summary>The outcome of feeding bytes to a parser.</summary>
public enum ParseStatus
{
    /// <summary>The bytes so far are a valid prefix; read more and call again with all of them.</summary>
    NeedMore,

    /// <summary>A whole message was parsed; <see cref="ParseResult.Consumed"/> says how many bytes it took.</summary>
    Done,

    /// <summary>The bytes can never become a valid message; <see cref="ParseResult.Error"/> says why.</summary>
    Error,
}
