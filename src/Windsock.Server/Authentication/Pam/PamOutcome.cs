namespace Windsock.Server.Authentication.Pam;

/// <summary>What one PAM transaction decided, and where it stopped.</summary>
/// <param name="Accepted">pam_authenticate and pam_acct_mgmt both said yes, after a password prompt.</param>
/// <param name="Detail">Why not: the step and PAM's own message, e.g. "pam_acct_mgmt: User account has expired (PAM_ACCT_EXPIRED)".</param>
/// <param name="FailDelay">How long the modules asked a failure to wait before it is answered.</param>
internal readonly record struct PamOutcome(bool Accepted, string? Detail, TimeSpan FailDelay);
