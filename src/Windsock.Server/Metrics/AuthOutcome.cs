namespace Windsock.Server.Metrics;

/// <summary>How an authentication ended, as <c>windsock_authentications_total{outcome}</c> says it.</summary>
public enum AuthOutcome
{
    Success,
    Failure,

    /// <summary>Refused by the login throttle before the password was checked.</summary>
    Throttled,
}
