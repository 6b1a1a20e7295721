using System.Collections.Concurrent;

namespace Windsock.Server.Authentication.Pam;

/// <summary>
/// A few dedicated threads for PAM calls. Every PAM call blocks its thread (a password hash, an
/// LDAP or SSSD round trip that may hang until a network timeout), so running them on the thread
/// pool would let a slow PAM stack, or a client opening many connections, starve the whole server
/// of threads. Here at most <c>threads</c> transactions run at once; further logins wait for a
/// free thread asynchronously, holding no thread, bounded by their session's negotiation deadline.
/// </summary>
/// <remarks>
/// One process-wide instance (<see cref="Shared"/>): a reload builds a new verifier but must not
/// build new threads. Its threads are background threads and start on the first PAM login.
/// </remarks>
internal sealed class PamWorkers : IDisposable
{
    /// <summary>
    /// Enough for bursts of logins while a directory server is slow; the threads wait on I/O,
    /// and the failure delays are awaited off them (<see cref="PamConversation.DelayFunction"/>).
    /// </summary>
    public const int DefaultThreads = 8;

    private static readonly Lazy<PamWorkers> LazyShared = new(() => new PamWorkers(DefaultThreads));

    private readonly BlockingCollection<Action> _queue = [];
    private readonly SemaphoreSlim _free;

    public PamWorkers(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _free = new SemaphoreSlim(threads, threads);
        for (int i = 0; i < threads; i++)
        {
            new Thread(Work) { IsBackground = true, Name = "windsock-pam" }.Start();
        }
    }

    public static PamWorkers Shared => LazyShared.Value;

    /// <summary>Runs <paramref name="work"/> on a PAM thread once one is free.</summary>
    /// <exception cref="OperationCanceledException">
    /// The token fired while waiting for a thread or for the work; work already started runs to
    /// its end (PAM calls cannot be interrupted) and only then frees its thread.
    /// </exception>
    public async Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken)
    {
        await _free.WaitAsync(cancellationToken).ConfigureAwait(false);
        // Continuations must not run on the PAM thread, which belongs to the next login.
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            _queue.Add(() =>
            {
                try
                {
                    done.SetResult(work());
                }
                catch (Exception e)
                {
                    done.SetException(e);
                }
                finally
                {
                    _free.Release();
                }
            }, CancellationToken.None);
        }
        catch (InvalidOperationException)
        {
            // Disposed: no thread will take the work.
            _free.Release();
            throw new ObjectDisposedException(nameof(PamWorkers));
        }

        return await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Lets the threads finish what they hold and exit; only tests make their own instances.</summary>
    public void Dispose() => _queue.CompleteAdding();

    private void Work()
    {
        foreach (Action job in _queue.GetConsumingEnumerable())
        {
            job();
        }
    }
}
