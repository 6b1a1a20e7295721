using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Windsock.Server.Authentication;

/// <summary>
/// Slow salted password hashes: PBKDF2-HMAC-SHA256, 16-byte random salt, 32-byte hash, in the
/// self-describing form <c>$pbkdf2-sha256$i=210000$SALT$HASH</c> (standard Base64). The iteration
/// count travels with each hash, so raising the default later does not break existing entries.
/// </summary>
/// <remarks>
/// Verification never throws on a malformed hash: it answers false, because a login attempt is no
/// place to surface a file error (the users file loader reports those with their line).
/// </remarks>
public sealed class PasswordHasher
{
    /// <summary>OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256.</summary>
    public const int DefaultIterations = 210_000;

    /// <summary>
    /// Hashes asking for more are treated as malformed: a typo of a few extra digits must not turn
    /// every login into seconds of CPU.
    /// </summary>
    public const int MaxIterations = 10_000_000;

    public const int SaltSize = 16;
    public const int HashSize = 32;

    private const string Scheme = "pbkdf2-sha256";
    private const int MinSaltSize = 8;
    private const int MaxSaltSize = 64;

    private long _derivations;

    /// <param name="iterations">Only tests lower this; production always uses the default.</param>
    public PasswordHasher(int iterations = DefaultIterations)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(iterations, MaxIterations);
        Iterations = iterations;
    }

    public static PasswordHasher Default { get; } = new();

    public int Iterations { get; }

    /// <summary>How many PBKDF2 derivations ran; lets tests prove unknown users cost the same work.</summary>
    internal long Derivations => Interlocked.Read(ref _derivations);

    public string Hash(string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        Span<byte> salt = stackalloc byte[SaltSize];
        RandomNumberGenerator.Fill(salt);
        Span<byte> hash = stackalloc byte[HashSize];
        Derive(password, salt, Iterations, hash);
        return Format(Iterations, salt, hash);
    }

    public bool Verify(string password, string encoded)
    {
        ArgumentNullException.ThrowIfNull(password);
        if (encoded is null || !TryParse(encoded, out int iterations, out byte[] salt, out byte[] expected))
        {
            return false;
        }

        Span<byte> actual = stackalloc byte[HashSize];
        Derive(password, salt, iterations, actual);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>True when <paramref name="encoded"/> is a hash this type can verify.</summary>
    public static bool IsWellFormed(string encoded) => TryParse(encoded, out _, out _, out _);

    /// <summary>
    /// A hash in the right format that matches no password, costing the same work to check as a
    /// real one with this hasher's iteration count. Made without running PBKDF2, so building a
    /// user store stays cheap.
    /// </summary>
    internal string CreateUnmatchableHash()
    {
        Span<byte> salt = stackalloc byte[SaltSize];
        RandomNumberGenerator.Fill(salt);
        Span<byte> hash = stackalloc byte[HashSize];
        RandomNumberGenerator.Fill(hash);
        return Format(Iterations, salt, hash);
    }

    private void Derive(string password, ReadOnlySpan<byte> salt, int iterations, Span<byte> destination)
    {
        Interlocked.Increment(ref _derivations);
        byte[] passwordBytes = Encoding.UTF8.GetBytes(password);
        try
        {
            Rfc2898DeriveBytes.Pbkdf2(passwordBytes, salt, destination, iterations, HashAlgorithmName.SHA256);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passwordBytes);
        }
    }

    private static string Format(int iterations, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> hash) =>
        string.Create(CultureInfo.InvariantCulture, $"${Scheme}$i={iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");

    private static bool TryParse(string encoded, out int iterations, out byte[] salt, out byte[] hash)
    {
        iterations = 0;
        salt = [];
        hash = [];
        if (encoded is null)
        {
            return false;
        }

        string[] parts = encoded.Split('$');
        if (parts.Length != 5 || parts[0].Length != 0 || parts[1] != Scheme || !parts[2].StartsWith("i=", StringComparison.Ordinal))
        {
            return false;
        }

        string count = parts[2][2..];
        if (count.Length is 0 or > 9 || count[0] == '0'
            || !int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out iterations)
            || iterations > MaxIterations)
        {
            return false;
        }

        byte[]? decodedSalt = DecodeCanonicalBase64(parts[3]);
        byte[]? decodedHash = DecodeCanonicalBase64(parts[4]);
        if (decodedSalt is null || decodedSalt.Length is < MinSaltSize or > MaxSaltSize || decodedHash is null || decodedHash.Length != HashSize)
        {
            return false;
        }

        salt = decodedSalt;
        hash = decodedHash;
        return true;
    }

    /// <summary>Only the one canonical spelling, so whitespace or altered padding cannot slip through.</summary>
    private static byte[]? DecodeCanonicalBase64(string text)
    {
        byte[] buffer = new byte[(text.Length * 3 / 4) + 3];
        if (!Convert.TryFromBase64String(text, buffer, out int written))
        {
            return null;
        }

        byte[] bytes = buffer[..written];
        return Convert.ToBase64String(bytes) == text ? bytes : null;
    }
}
