using System.Net;

namespace Windsock.Server.Authentication;

/// <summary>
/// Both <c>users_file</c> and <c>pam_service</c> set: a user listed in the users file is decided by
/// the file alone, anyone else by PAM. A listed user whose password is wrong is refused, not
/// passed on: otherwise one name would have two passwords (twice the guesses), and the file could
/// not take a system account's proxy access away by giving it a password of its own.
/// </summary>
/// <remarks>
/// The two back ends answer at different speeds (PBKDF2 against the PAM stack), so timing may tell
/// whether a name is in the users file; which system accounts exist is the PAM stack's to hide.
/// </remarks>
public sealed class UserFileThenPamVerifier : ICredentialVerifier
{
    private readonly UserStore _users;
    private readonly ICredentialVerifier _file;
    private readonly ICredentialVerifier _pam;

    /// <param name="users">Who is listed.</param>
    /// <param name="file">Decides the listed users: <paramref name="users"/>, usually behind a <see cref="VerifiedCredentialCache"/>.</param>
    /// <param name="pam">Decides everyone else.</param>
    public UserFileThenPamVerifier(UserStore users, ICredentialVerifier file, ICredentialVerifier pam)
    {
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(pam);
        _users = users;
        _file = file;
        _pam = pam;
    }

    public ValueTask<CredentialVerdict> VerifyAsync(string userName, string password, IPAddress client, CancellationToken cancellationToken) =>
        _users.Contains(userName)
            ? _file.VerifyAsync(userName, password, client, cancellationToken)
            : _pam.VerifyAsync(userName, password, client, cancellationToken);
}
