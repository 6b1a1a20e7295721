using System.Net;
using Microsoft.Extensions.Time.Testing;
using Windsock.Server.Authentication;
using Windsock.Server.Authentication.Pam;
using Xunit;

namespace Windsock.Server.Tests.Authentication;

/// <summary>The bounded, per-source fair queue in front of PBKDF2, on a fake clock.</summary>
public sealed class PasswordHashingQueueTests
{
    private static readonly IPAddress Flood = IPAddress.Parse("192.0.2.66");
    private static readonly IPAddress Legit = IPAddress.Parse("198.51.100.7");
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(10);

    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task A_login_from_another_source_goes_before_a_flood_queued_ahead_of_it()
    {
        var queue = new PasswordHashingQueue(slots: 1, _time, maxWait: TimeSpan.FromMinutes(1));
        var running = await queue.EnterAsync(Flood, CancellationToken.None);
        Assert.NotNull(running);

        var floodWaiting = Enumerable.Range(0, 5).Select(_ => queue.EnterAsync(Flood, CancellationToken.None).AsTask()).ToList();
        var legit = queue.EnterAsync(Legit, CancellationToken.None).AsTask();
        Assert.All(floodWaiting, t => Assert.False(t.IsCompleted));

        // The slot goes round-robin: first the flood's next attempt (it queued first), then the other source.
        running!.Dispose();
        var second = await floodWaiting[0].WaitAsync(Bounded);
        Assert.False(legit.IsCompleted);
        second!.Dispose();
        var legitSlot = await legit.WaitAsync(Bounded);
        Assert.All(floodWaiting.Skip(1), t => Assert.False(t.IsCompleted));
        legitSlot!.Dispose();

        foreach (var waiting in floodWaiting.Skip(1))
        {
            (await waiting.WaitAsync(Bounded))!.Dispose();
        }
    }

    [Fact]
    public async Task A_wait_for_a_slot_is_bounded_and_then_refused()
    {
        var queue = new PasswordHashingQueue(slots: 1, _time, maxWait: TimeSpan.FromSeconds(5));
        using var running = await queue.EnterAsync(Flood, CancellationToken.None);

        var waiting = queue.EnterAsync(Legit, CancellationToken.None).AsTask();
        _time.Advance(TimeSpan.FromSeconds(4.9));
        Assert.False(waiting.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(0.2));
        Assert.Null(await waiting.WaitAsync(Bounded));

        // The refused waiter left the queue: the slot, once free, is free for the next comer at once.
        running!.Dispose();
        using var next = await queue.EnterAsync(Legit, CancellationToken.None).AsTask().WaitAsync(Bounded);
        Assert.NotNull(next);
    }

    [Fact]
    public async Task Beyond_the_queue_bound_an_attempt_is_refused_at_once()
    {
        var queue = new PasswordHashingQueue(slots: 1, _time, maxWait: TimeSpan.FromMinutes(1), maxQueued: 3);
        using var running = await queue.EnterAsync(Flood, CancellationToken.None);
        var queued = Enumerable.Range(0, 3).Select(_ => queue.EnterAsync(Flood, CancellationToken.None).AsTask()).ToList();

        var refused = queue.EnterAsync(Legit, CancellationToken.None);
        Assert.True(refused.IsCompleted);
        Assert.Null(await refused);
        Assert.All(queued, t => Assert.False(t.IsCompleted));
    }

    [Fact]
    public async Task Cancelling_a_wait_gives_nothing_away()
    {
        var queue = new PasswordHashingQueue(slots: 1, _time);
        var running = await queue.EnterAsync(Flood, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var waiting = queue.EnterAsync(Legit, cancel.Token).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Bounded));

        running!.Dispose();
        var a = await queue.EnterAsync(Legit, CancellationToken.None);
        Assert.NotNull(a);
        var b = queue.EnterAsync(Legit, CancellationToken.None).AsTask();
        Assert.False(b.IsCompleted); // one slot, taken by a: the cancelled waiter did not leak a second
        a!.Dispose();
        (await b.WaitAsync(Bounded))!.Dispose();
    }

    [Fact]
    public async Task A_user_store_refuses_known_and_unknown_users_alike_when_no_slot_comes()
    {
        var hasher = new PasswordHasher(iterations: 10);
        var queue = new PasswordHashingQueue(slots: 1, _time, maxWait: TimeSpan.FromSeconds(1));
        var store = new UserStore(new Dictionary<string, string> { ["alice"] = hasher.Hash("right") }, hasher, queue);
        long before = hasher.Derivations;
        using var running = await queue.EnterAsync(Flood, CancellationToken.None);

        var known = store.VerifyAsync("alice", "right", Legit, CancellationToken.None).AsTask();
        var unknown = store.VerifyAsync("nobody", "right", Legit, CancellationToken.None).AsTask();
        _time.Advance(TimeSpan.FromSeconds(1.1));
        var knownVerdict = await known.WaitAsync(Bounded);
        var unknownVerdict = await unknown.WaitAsync(Bounded);

        Assert.False(knownVerdict.Accepted);
        Assert.Equal(knownVerdict, unknownVerdict);
        Assert.Contains("password hashing busy", knownVerdict.Detail, StringComparison.Ordinal);
        Assert.Equal(before, hasher.Derivations); // refused without hashing
    }

    [Fact]
    public async Task A_pam_login_waits_for_its_turn_on_the_pam_threads_the_same_way_and_is_refused_when_none_comes()
    {
        using var workers = new PamWorkers(1);
        var queue = new PasswordHashingQueue(slots: 1, _time, maxWait: TimeSpan.FromSeconds(1));
        var verifier = new PamCredentialVerifier("windsock-no-such-service", _time, workers, queue);
        using var running = await queue.EnterAsync(Flood, CancellationToken.None);

        var login = verifier.VerifyAsync("alice", "secret", Legit, CancellationToken.None).AsTask();
        Assert.False(login.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(1.1));
        var verdict = await login.WaitAsync(Bounded);

        Assert.False(verdict.Accepted);
        Assert.Equal("pam", verdict.Backend);
        Assert.StartsWith("PAM threads busy", verdict.Detail, StringComparison.Ordinal);
    }
}
