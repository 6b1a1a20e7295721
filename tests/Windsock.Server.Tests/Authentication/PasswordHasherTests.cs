using Windsock.Server.Authentication;
using Xunit;

namespace Windsock.Server.Tests.Authentication;

public sealed class PasswordHasherTests
{
    // Low on purpose: the format and logic are what is tested, not PBKDF2's cost.
    private readonly PasswordHasher _hasher = new(iterations: 10);

    [Fact]
    public void Round_trip_verifies()
    {
        string hash = _hasher.Hash("correct horse");

        Assert.True(_hasher.Verify("correct horse", hash));
        Assert.Matches(@"^\$pbkdf2-sha256\$i=10\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$", hash);
    }

    [Fact]
    public void Non_ascii_passwords_round_trip()
    {
        string hash = _hasher.Hash("pässwörd-日本");

        Assert.True(_hasher.Verify("pässwörd-日本", hash));
        Assert.False(_hasher.Verify("passwort-日本", hash));
    }

    [Theory]
    [InlineData("correct horsE")]
    [InlineData("correct horse ")]
    [InlineData("")]
    public void Wrong_password_fails(string attempt)
    {
        Assert.False(_hasher.Verify(attempt, _hasher.Hash("correct horse")));
    }

    [Fact]
    public void Each_hash_has_its_own_salt()
    {
        Assert.NotEqual(_hasher.Hash("same"), _hasher.Hash("same"));
    }

    [Fact]
    public void The_stored_iteration_count_is_used_not_the_hashers()
    {
        string hash = new PasswordHasher(iterations: 3).Hash("pw");

        Assert.True(_hasher.Verify("pw", hash));
    }

    [Fact]
    public void Default_is_the_owasp_count()
    {
        Assert.Equal(210_000, PasswordHasher.Default.Iterations);
        Assert.Equal(210_000, new PasswordHasher().Iterations);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(PasswordHasher.MaxIterations + 1)]
    public void Iteration_counts_out_of_range_are_refused(int iterations)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PasswordHasher(iterations));
    }

    [Fact]
    public void Tampered_hashes_fail()
    {
        string hash = _hasher.Hash("pw");
        string[] parts = hash.Split('$');

        Assert.False(_hasher.Verify("pw", $"${parts[1]}$i=11${parts[3]}${parts[4]}"));
        Assert.False(_hasher.Verify("pw", $"${parts[1]}${parts[2]}${Flip(parts[3])}${parts[4]}"));
        Assert.False(_hasher.Verify("pw", $"${parts[1]}${parts[2]}${parts[3]}${Flip(parts[4])}"));
        Assert.False(_hasher.Verify("pw", $"${parts[1]}${parts[2]}${parts[4]}${parts[3]}"));
    }

    public static TheoryData<string> Garbled => new()
    {
        "",
        "$",
        "plaintext",
        "$pbkdf2-sha256$",
        "$pbkdf2-sha1$i=10$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "$pbkdf2-sha256$i=0$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "$pbkdf2-sha256$i=010$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "$pbkdf2-sha256$i=-10$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "$pbkdf2-sha256$i=99999999999$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "$pbkdf2-sha256$i=10000001$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "$pbkdf2-sha256$iterations=10$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "$pbkdf2-sha256$i=10$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "$pbkdf2-sha256$i=10$AAAAAAAAAAAAAAAAAAAAAA==$AAAA",
        "$pbkdf2-sha256$i=10$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "$pbkdf2-sha256$i=10$AAAAAAAAAAAAAAAA AAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "$pbkdf2-sha256$i=10$!!!!!!!!!!!!!!!!!!!!!!==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "$pbkdf2-sha256$i=10$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=$extra",
        "x$pbkdf2-sha256$i=10$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    };

    [Theory]
    [MemberData(nameof(Garbled))]
    public void Garbled_formats_verify_false_without_throwing(string encoded)
    {
        Assert.False(_hasher.Verify("pw", encoded));
        Assert.False(PasswordHasher.IsWellFormed(encoded));
    }

    [Fact]
    public void A_null_hash_verifies_false()
    {
        Assert.False(_hasher.Verify("pw", null!));
        Assert.False(PasswordHasher.IsWellFormed(null!));
    }

    [Fact]
    public void A_well_formed_hash_of_zeros_is_accepted_as_a_format()
    {
        Assert.True(PasswordHasher.IsWellFormed("$pbkdf2-sha256$i=10$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
    }

    [Fact]
    public void Unmatchable_hash_is_well_formed_and_costs_one_derivation()
    {
        string hash = _hasher.CreateUnmatchableHash();
        long before = _hasher.Derivations;

        Assert.True(PasswordHasher.IsWellFormed(hash));
        Assert.Equal(before, _hasher.Derivations);
        Assert.False(_hasher.Verify("", hash));
        Assert.Equal(before + 1, _hasher.Derivations);
    }

    private static string Flip(string base64)
    {
        byte[] bytes = Convert.FromBase64String(base64);
        bytes[0] ^= 1;
        return Convert.ToBase64String(bytes);
    }
}
