using System.Net;

namespace Windsock.Server.Authentication;

/// <summary>
/// The users loaded from a users file: an immutable snapshot, replaced as a whole on reload.
/// Names are case-sensitive, as RFC 1929 compares bytes.
/// </summary>
public sealed class UserStore : ICredentialVerifier
{
    /// <summary>How the request log names this back end.</summary>
    public const string BackendName = "file";

    private readonly Dictionary<string, string> _hashes;
    private readonly PasswordHasher _hasher;
    private readonly PasswordHashingQueue _hashing;
    private readonly string _unmatchable;

    internal UserStore(Dictionary<string, string> hashes, PasswordHasher hasher, PasswordHashingQueue? hashing = null)
    {
        _hashes = hashes;
        _hasher = hasher;
        _hashing = hashing ?? PasswordHashingQueue.Shared;
        _unmatchable = hasher.CreateUnmatchableHash();
    }

    public int Count => _hashes.Count;

    public IEnumerable<string> UserNames => _hashes.Keys;

    public bool Contains(string userName) => _hashes.ContainsKey(userName);

    /// <summary>
    /// True when the user exists and the password matches. An unknown user costs the same PBKDF2
    /// work as a known one (a check against a hash that matches nothing), so response time does
    /// not tell an attacker which names exist.
    /// </summary>
    public bool Verify(string userName, string password)
    {
        ArgumentNullException.ThrowIfNull(userName);
        ArgumentNullException.ThrowIfNull(password);
        return Check(userName, password).Accepted;
    }

    /// <summary>
    /// <see cref="Verify"/> as a back end. The hash (CPU work of about 0.1 s) waits for a slot in the
    /// <see cref="PasswordHashingQueue"/>, so a flood of logins holds a few cores at most; a login that
    /// gets no slot in time is refused, known user or not. <see cref="VerifiedCredentialCache"/> keeps
    /// the hashing to one per user and password every few minutes.
    /// </summary>
    public async ValueTask<CredentialVerdict> VerifyAsync(string userName, string password, IPAddress client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userName);
        ArgumentNullException.ThrowIfNull(password);
        ArgumentNullException.ThrowIfNull(client);
        using var slot = await _hashing.EnterAsync(client, cancellationToken).ConfigureAwait(false);
        if (slot is null)
        {
            return new CredentialVerdict(false, BackendName, _hashing.BusyDetail("password hashing"));
        }

        return Check(userName, password);
    }

    private CredentialVerdict Check(string userName, string password)
    {
        bool known = _hashes.TryGetValue(userName, out string? hash);
        bool matches = _hasher.Verify(password, known ? hash! : _unmatchable);
        return (known, matches) switch
        {
            (true, true) => new CredentialVerdict(true, BackendName),
            (true, false) => new CredentialVerdict(false, BackendName, "wrong password"),
            _ => new CredentialVerdict(false, BackendName, "no such user in the users file"),
        };
    }
}
