using Windsock.Server.Authentication.Pam;
using Xunit;

namespace Windsock.Server.Tests.Authentication;

/// <summary>The dedicated threads PAM calls block on: bounded, cancellable while waiting, never lost.</summary>
public sealed class PamWorkersTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Work_beyond_the_thread_count_waits_and_gives_up_when_its_token_fires()
    {
        using var workers = new PamWorkers(threads: 1);
        using var gate = new ManualResetEventSlim();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<int> blocking = workers.RunAsync(() =>
        {
            started.SetResult();
            gate.Wait(Bound);
            return 1;
        }, CancellationToken.None);
        await started.Task.WaitAsync(Bound);

        using var cancel = new CancellationTokenSource();
        bool ran = false;
        Task<int> waiting = workers.RunAsync(() => { ran = true; return 2; }, cancel.Token);
        Assert.False(waiting.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Bound));

        gate.Set();
        Assert.Equal(1, await blocking.WaitAsync(Bound));
        Assert.Equal(3, await workers.RunAsync(() => 3, CancellationToken.None).WaitAsync(Bound));
        Assert.False(ran);
    }

    [Fact]
    public async Task A_failure_reaches_the_caller_and_frees_the_thread()
    {
        using var workers = new PamWorkers(threads: 1);

        await Assert.ThrowsAsync<DllNotFoundException>(() => workers.RunAsync<int>(() => throw new DllNotFoundException("libpam.so.0"), CancellationToken.None).WaitAsync(Bound));

        Assert.Equal(7, await workers.RunAsync(() => 7, CancellationToken.None).WaitAsync(Bound));
    }

    [Fact]
    public async Task The_work_runs_on_a_pam_thread_not_the_thread_pool()
    {
        using var workers = new PamWorkers(threads: 2);

        (string? name, bool pool) = await workers.RunAsync(() => (Thread.CurrentThread.Name, Thread.CurrentThread.IsThreadPoolThread), CancellationToken.None).WaitAsync(Bound);

        Assert.Equal(("windsock-pam", false), (name, pool));
    }
}
