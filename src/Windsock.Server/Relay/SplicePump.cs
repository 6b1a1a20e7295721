using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace Windsock.Server.Relay;

/// <summary>
/// One direction of a spliced relay, from its start to its end. While the direction is parked in the epoll set
/// nothing awaits: the pump has armed its <see cref="ParkedSocket"/> with itself as the work item to run when the
/// source becomes readable, and its bursts' state machine is gone. An idle direction holds this object, its parking
/// place and the relay's promise of its end (about 800 bytes less per idle session than a pump awaiting its
/// <see cref="ParkedSocket"/>: docs/benchmarks.md, "Idle sessions, round two").
/// <para>
/// A busy direction (<see cref="ParkedSocket.ShouldPark"/> says no) waits with zero-byte receives inside one run, as
/// before; a run ends (and the next starts from the epoll thread's wake) only where the direction parks. Everything
/// else is <see cref="SpliceStrategy"/>'s: a burst at a time with a pooled pipe, the copy loop when a socket refuses
/// splice. Failures are the relay's (<see cref="TcpRelay.Ended"/>), as for every pump.
/// </para>
/// </summary>
internal sealed class SplicePump : IThreadPoolWorkItem, IValueTaskSource
{
    private readonly SpliceStrategy _strategy;
    private readonly TcpRelay _relay;
    private readonly RelayDirection _direction;
    private ManualResetValueTaskSourceCore<bool> _finished;
    private long _moved;

    public SplicePump(SpliceStrategy strategy, TcpRelay relay, RelayDirection direction)
    {
        _strategy = strategy;
        _relay = relay;
        _direction = direction;
    }

    /// <summary>Starts the direction; the wait (awaited once, by the relay) completes when it is finished and out of the epoll set.</summary>
    public ValueTask Start()
    {
        _ = RunAsync(woken: false);
        return new ValueTask(this, _finished.Version);
    }

    /// <summary>The parked source became readable (or ended, failed, was shut down): the next run, on the thread pool.</summary>
    void IThreadPoolWorkItem.Execute() => _ = RunAsync(woken: true);

    /// <summary>
    /// Bursts until the direction parks (the run ends; a wake starts the next), finishes, or hands over to the copy
    /// loop. Throws nothing: the task it returns is not awaited.
    /// </summary>
    private async Task RunAsync(bool woken)
    {
        var from = _direction.From;
        var to = _direction.To;
        var park = _direction.Park;
        SplicePipe pipe = default;
        bool havePipe = false;
        bool pipeEmpty = true;
        bool parked = false;
        bool copyInstead = false;
        Exception? failure = null;
        bool fromReferenced = false;
        bool toReferenced = false;
        try
        {
            // Held for the run, so the descriptor numbers cannot be closed and reused under it (while parked, the
            // parking place holds the source's).
            from.SafeHandle.DangerousAddRef(ref fromReferenced);
            to.SafeHandle.DangerousAddRef(ref toReferenced);
            var ends = new SpliceStrategy.Ends((int)from.SafeHandle.DangerousGetHandle(), (int)to.SafeHandle.DangerousGetHandle());
            while (!copyInstead)
            {
                if (!woken)
                {
                    // Wait for readability holding nothing: parked, the run ends here, and the wake may already be
                    // running the next one on another thread: nothing of this object is touched after the arming.
                    if (park is not null && park.ShouldPark(_relay.Time) && park.TryWaitThenRun(this))
                    {
                        parked = true;
                        return;
                    }

                    await from.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, _relay.Shutdown).ConfigureAwait(false);
                }

                woken = false;
                if (_relay.Stopped)
                {
                    return;
                }

                if (!havePipe)
                {
                    if (!SplicePipePool.TryRent(out pipe))
                    {
                        copyInstead = true;
                        continue;
                    }

                    havePipe = true;
                }

                pipeEmpty = false;
                var (burst, burstMoved) = await _strategy.MoveBurstAsync(_relay, _direction, ends, pipe, _moved).ConfigureAwait(false);
                _moved += burstMoved;
                switch (burst)
                {
                    case SpliceStrategy.Burst.Drained:
                        // The pipe is empty again and goes back for the next burst, of any session.
                        pipeEmpty = true;
                        SplicePipePool.Return(pipe);
                        havePipe = false;
                        break;
                    case SpliceStrategy.Burst.CopyInstead:
                        pipeEmpty = true;
                        copyInstead = true;
                        break;
                    case SpliceStrategy.Burst.Finished:
                        pipeEmpty = true;
                        return;
                    default:
                        return;
                }
            }
        }
        catch (Exception e) when (_relay.Ended(_direction, e))
        {
            // Ended quietly, or the source side failed.
        }
        catch (Exception e)
        {
            failure = e;
        }
        finally
        {
            if (havePipe)
            {
                if (pipeEmpty)
                {
                    SplicePipePool.Return(pipe);
                }
                else
                {
                    // The sink failed in the middle of a burst, or the burst threw: bytes may be left in it.
                    SplicePipePool.Discard(pipe);
                }
            }

            if (fromReferenced)
            {
                from.SafeHandle.DangerousRelease();
            }

            if (toReferenced)
            {
                to.SafeHandle.DangerousRelease();
            }

            if (!parked && !copyInstead)
            {
                Finish(failure);
            }
        }

        if (copyInstead)
        {
            // A socket refuses splice (or no pipe to be had): the copy loop takes over, after what the pipe held went out.
            try
            {
                await _strategy.Fallback.PumpAsync(_relay, _direction).ConfigureAwait(false);
            }
            catch (Exception e) when (_relay.Ended(_direction, e))
            {
            }
            catch (Exception e)
            {
                failure = e;
            }

            Finish(failure);
        }
    }

    private void Finish(Exception? failure)
    {
        // Out of the epoll set before the session closes the socket.
        _direction.Park?.Dispose();
        if (failure is null)
        {
            _finished.SetResult(true);
        }
        else
        {
            _finished.SetException(failure);
        }
    }

    void IValueTaskSource.GetResult(short token) => _finished.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _finished.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _finished.OnCompleted(continuation, state, token, flags);
}
