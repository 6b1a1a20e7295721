using System.Net;

namespace Windsock.Server.Authentication;

/// <summary>
/// Both <c>users_file</c> and <c>pam_service</c> set: a user listed in the users file is decided by
/// the file alone, anyone else by PAM. A listed user whose password is wrong is refused, not
/// passed on: otherwise one name would have two passwords (twice the guesses), and the file could
/// not take a system account's proxy access away by giving it a password of its own.
/// </summary>
/// <remarks>
/// The two back ends answer at different speeds (PBKDF2 against the PAM stack's deliberate delay), which
/// would tell a guesser whether a name is in the users file: a refusal by the file therefore waits until
/// it has taken as long as a PAM refusal would (<see cref="RefusalTiming"/>). Which system accounts exist is
/// the PAM stack's to hide.
/// </remarks>
public sealed class UserFileThenPamVerifier : ICredentialVerifier
{
    private readonly UserStore _users;
    private readonly ICredentialVerifier _file;
    private readonly ICredentialVerifier _pam;
    private readonly TimeProvider _time;
    private readonly RefusalTiming _timing = new();

    /// <param name="users">Who is listed.</param>
    /// <param name="file">Decides the listed users: <paramref name="users"/>, usually behind a <see cref="VerifiedCredentialCache"/>.</param>
    /// <param name="pam">Decides everyone else.</param>
    /// <param name="time">The clock the refusals are timed with; the system's by default.</param>
    public UserFileThenPamVerifier(UserStore users, ICredentialVerifier file, ICredentialVerifier pam, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(pam);
        _users = users;
        _file = file;
        _pam = pam;
        _time = time ?? TimeProvider.System;
    }

    public async ValueTask<CredentialVerdict> VerifyAsync(string userName, string password, IPAddress client, CancellationToken cancellationToken)
    {
        long started = _time.GetTimestamp();
        if (!_users.Contains(userName))
        {
            var byPam = await _pam.VerifyAsync(userName, password, client, cancellationToken).ConfigureAwait(false);
            if (!byPam.Accepted)
            {
                _timing.RecordPamRefusal(_time.GetElapsedTime(started));
            }

            return byPam;
        }

        var byFile = await _file.VerifyAsync(userName, password, client, cancellationToken).ConfigureAwait(false);
        if (!byFile.Accepted)
        {
            var left = _timing.DrawRefusalTime() - _time.GetElapsedTime(started);
            if (left > TimeSpan.Zero)
            {
                await Task.Delay(left, _time, cancellationToken).ConfigureAwait(false);
            }
        }

        return byFile;
    }
}
