using System.Net;

namespace Windsock.Server.Authentication;

/// <summary>
/// Checks a user name and password (RFC 1929). Asynchronous because some back ends block for
/// seconds (PAM: failure delays, LDAP lookups) and must not do so on a thread-pool thread.
/// Implementations take the same time for unknown users where they can.
/// </summary>
public interface ICredentialVerifier
{
    /// <param name="userName">As the client sent it; case-sensitive.</param>
    /// <param name="password">As the client sent it.</param>
    /// <param name="client">The client's address: back ends may log it or decide on it (PAM_RHOST, pam_access).</param>
    /// <param name="cancellationToken">The session's negotiation deadline or shutdown.</param>
    ValueTask<CredentialVerdict> VerifyAsync(string userName, string password, IPAddress client, CancellationToken cancellationToken);
}
