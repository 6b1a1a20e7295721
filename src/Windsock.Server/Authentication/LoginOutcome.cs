namespace Windsock.Server.Authentication;

/// <summary>How a throttled login attempt ended.</summary>
public enum LoginOutcome
{
    /// <summary>Never verified: refused for throttling, or the client left while it waited.</summary>
    NotTried,

    /// <summary>The credentials were checked and refused.</summary>
    Failed,

    /// <summary>The credentials were right.</summary>
    Accepted,
}
