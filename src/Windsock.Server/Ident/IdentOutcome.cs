namespace Windsock.Server.Ident;

/// <summary>What an ident lookup came to.</summary>
public enum IdentOutcome
{
    /// <summary>The identd named a user (<see cref="IdentResult.UserId"/>).</summary>
    UserId,

    /// <summary>The identd answered with an error such as NO-USER or HIDDEN-USER.</summary>
    Error,

    /// <summary>No identd answered in time (refused, unreachable, timed out, closed early).</summary>
    Unreachable,

    /// <summary>Something answered, but not an RFC 1413 reply for the ports asked about.</summary>
    Malformed,
}

/// <summary>The outcome, the user id when there is one, and a few words for the log.</summary>
public readonly record struct IdentResult(IdentOutcome Outcome, string? UserId, string Detail);
