using Microsoft.Extensions.Time.Testing;
using Windsock.Server.Authentication;
using Xunit;

namespace Windsock.Server.Tests.Authentication;

public class VerifiedCredentialCacheTests
{
    private sealed class CountingVerifier : ICredentialVerifier
    {
        public int Calls { get; private set; }

        public bool Verify(string userName, string password)
        {
            Calls++;
            return userName == "alice" && password == "right";
        }
    }

    [Fact]
    public void A_verified_login_is_remembered_until_it_expires()
    {
        var inner = new CountingVerifier();
        var time = new FakeTimeProvider();
        var cache = new VerifiedCredentialCache(inner, time, TimeSpan.FromMinutes(5));

        Assert.True(cache.Verify("alice", "right"));
        Assert.True(cache.Verify("alice", "right"));
        Assert.Equal(1, inner.Calls);

        time.Advance(TimeSpan.FromMinutes(6));
        Assert.True(cache.Verify("alice", "right"));
        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public void Failures_are_never_cached_and_a_cached_user_still_needs_the_right_password()
    {
        var inner = new CountingVerifier();
        var cache = new VerifiedCredentialCache(inner, new FakeTimeProvider());

        Assert.True(cache.Verify("alice", "right"));
        Assert.False(cache.Verify("alice", "wrong"));
        Assert.False(cache.Verify("alice", "wrong"));
        Assert.False(cache.Verify("mallory", "right"));
        Assert.Equal(4, inner.Calls);
    }
}
