namespace Windsock.Server.Authentication;

/// <summary>
/// A credential back end's answer. <see cref="Backend"/> goes into the request log (which one
/// decided matters when the users file and PAM are both configured); <see cref="Detail"/> says
/// why a login was refused, for the administrator's diagnostic log only: it may tell whether a
/// user exists, which the client is never told.
/// </summary>
/// <param name="Accepted">True when the user name and password are right and the account may log in.</param>
/// <param name="Backend">Which back end decided: "file", "pam".</param>
/// <param name="Detail">Why a login was refused; never contains the password.</param>
public readonly record struct CredentialVerdict(bool Accepted, string Backend, string? Detail = null);
