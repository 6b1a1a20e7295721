using System.Net;
using Microsoft.Extensions.Time.Testing;
using Windsock.Server.Authentication;
using Xunit;

namespace Windsock.Server.Tests.Authentication;

public class VerifiedCredentialCacheTests
{
    private sealed class CountingVerifier : ICredentialVerifier
    {
        public int Calls { get; private set; }

        public ValueTask<CredentialVerdict> VerifyAsync(string userName, string password, IPAddress client, CancellationToken cancellationToken)
        {
            Calls++;
            return ValueTask.FromResult(new CredentialVerdict(userName == "alice" && password == "right", "counting"));
        }
    }

    private static async Task<bool> VerifyAsync(VerifiedCredentialCache cache, string user, string password) =>
        (await cache.VerifyAsync(user, password, IPAddress.Loopback, CancellationToken.None)).Accepted;

    [Fact]
    public async Task A_verified_login_is_remembered_until_it_expires()
    {
        var inner = new CountingVerifier();
        var time = new FakeTimeProvider();
        var cache = new VerifiedCredentialCache(inner, time, TimeSpan.FromMinutes(5));

        Assert.True(await VerifyAsync(cache, "alice", "right"));
        Assert.True(await VerifyAsync(cache, "alice", "right"));
        Assert.Equal(1, inner.Calls);

        time.Advance(TimeSpan.FromMinutes(6));
        Assert.True(await VerifyAsync(cache, "alice", "right"));
        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public async Task Failures_are_never_cached_and_a_cached_user_still_needs_the_right_password()
    {
        var inner = new CountingVerifier();
        var cache = new VerifiedCredentialCache(inner, new FakeTimeProvider());

        Assert.True(await VerifyAsync(cache, "alice", "right"));
        Assert.False(await VerifyAsync(cache, "alice", "wrong"));
        Assert.False(await VerifyAsync(cache, "alice", "wrong"));
        Assert.False(await VerifyAsync(cache, "mallory", "right"));
        Assert.Equal(4, inner.Calls);
    }

    [Fact]
    public async Task A_remembered_login_still_names_the_back_end_that_verified_it()
    {
        var cache = new VerifiedCredentialCache(new CountingVerifier(), new FakeTimeProvider());

        await cache.VerifyAsync("alice", "right", IPAddress.Loopback, CancellationToken.None);
        CredentialVerdict remembered = await cache.VerifyAsync("alice", "right", IPAddress.Loopback, CancellationToken.None);

        Assert.Equal(new CredentialVerdict(true, "counting"), remembered);
    }
}
