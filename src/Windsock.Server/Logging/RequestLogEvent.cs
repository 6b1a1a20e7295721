namespace Windsock.Server.Logging;

/// <summary>The two moments a session is logged at.</summary>
public enum RequestLogEvent
{
    /// <summary>The request was decided: the reply (success or failure) has been sent.</summary>
    Request,

    /// <summary>The session is over: byte counts, duration and why it ended.</summary>
    End,
}
