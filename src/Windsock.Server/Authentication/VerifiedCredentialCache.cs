using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Windsock.Server.Authentication;

/// <summary>
/// Remembers, for a few minutes, which user name and password pairs have just verified, so that a
/// client opening many connections pays the slow password hash (PBKDF2, about 0.1-0.2 s of CPU)
/// once rather than per connection. What is kept is an HMAC of the password under a key made fresh
/// for this process, never the password; entries expire and failed attempts are never cached, so a
/// guesser still pays the full hash for every guess.
/// </summary>
/// <remarks>
/// Only for back ends whose answer stays true for minutes, such as the users file. Never put it in
/// front of PAM: a PAM stack may ask for one-time passwords, which a cache would accept again, and
/// it decides on account state (locked, expired) that the host may change at any moment.
/// </remarks>
public sealed class VerifiedCredentialCache : ICredentialVerifier
{
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromMinutes(5);

    private const int MaxEntries = 10_000;

    private readonly ICredentialVerifier _inner;
    private readonly TimeProvider _time;
    private readonly TimeSpan _lifetime;
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentDictionary<string, Entry> _verified = new(StringComparer.Ordinal);

    public VerifiedCredentialCache(ICredentialVerifier inner, TimeProvider time, TimeSpan? lifetime = null)
    {
        _inner = inner;
        _time = time;
        _lifetime = lifetime ?? DefaultLifetime;
    }

    public async ValueTask<CredentialVerdict> VerifyAsync(string userName, string password, IPAddress client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userName);
        ArgumentNullException.ThrowIfNull(password);
        var tag = Tag(password);
        var now = _time.GetUtcNow();
        if (_verified.TryGetValue(userName, out var entry) && entry.Expires > now && CryptographicOperations.FixedTimeEquals(entry.Tag, tag))
        {
            return new CredentialVerdict(true, entry.Backend);
        }

        CredentialVerdict verdict = await _inner.VerifyAsync(userName, password, client, cancellationToken).ConfigureAwait(false);
        if (!verdict.Accepted)
        {
            return verdict;
        }

        if (_verified.Count >= MaxEntries)
        {
            // Bounded: drop everything rather than grow; the next logins simply hash again.
            _verified.Clear();
        }

        _verified[userName] = new Entry(tag, now + _lifetime, verdict.Backend);
        return verdict;
    }

    private byte[] Tag(string password) => HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(password));

    private readonly record struct Entry(byte[] Tag, DateTimeOffset Expires, string Backend);
}
