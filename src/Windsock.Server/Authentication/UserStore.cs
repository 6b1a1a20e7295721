namespace Windsock.Server.Authentication;

/// <summary>
/// The users loaded from a users file: an immutable snapshot, replaced as a whole on reload.
/// Names are case-sensitive, as RFC 1929 compares bytes.
/// </summary>
public sealed class UserStore : ICredentialVerifier
{
    private readonly Dictionary<string, string> _hashes;
    private readonly PasswordHasher _hasher;
    private readonly string _unmatchable;

    internal UserStore(Dictionary<string, string> hashes, PasswordHasher hasher)
    {
        _hashes = hashes;
        _hasher = hasher;
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
        bool known = _hashes.TryGetValue(userName, out string? hash);
        bool matches = _hasher.Verify(password, known ? hash! : _unmatchable);
        return known && matches;
    }
}
