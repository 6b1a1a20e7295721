using System.Diagnostics;
using System.Net.Sockets;

namespace Windsock.Bench;

/// <summary>
/// K sessions CONNECTed through the proxy to a local <see cref="SinkServer"/>, opened
/// <c>openConcurrency</c> at a time, then held idle for the hold time. The proxy closing a
/// session during the hold counts as dropped; at the end every session still open sends one
/// byte, and the sink must receive them all. With a <see cref="ProcessMemory"/>, the proxy's
/// memory is read before opening, after the hold (all sessions open) and a second after closing.
/// Bounded: opening stops at <c>openTimeLimit</c>, each session at the connection timeout.
/// </summary>
public sealed class IdleLoad
{
    private readonly TunnelConnector _connector;
    private readonly int _sessions;
    private readonly TimeSpan _hold;
    private readonly int _openConcurrency;
    private readonly TimeSpan _timeout;
    private readonly TimeSpan _openTimeLimit;
    private readonly ProcessMemory? _memory;
    private readonly BenchProgress? _progress;

    public IdleLoad(
        TunnelConnector connector,
        int sessions,
        TimeSpan hold,
        int openConcurrency,
        TimeSpan timeout,
        TimeSpan openTimeLimit,
        ProcessMemory? memory,
        BenchProgress? progress = null)
    {
        ArgumentNullException.ThrowIfNull(connector);
        ArgumentOutOfRangeException.ThrowIfLessThan(sessions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hold, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(openConcurrency, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(openTimeLimit, TimeSpan.Zero);
        _connector = connector;
        _sessions = sessions;
        _hold = hold;
        _openConcurrency = openConcurrency;
        _timeout = timeout;
        _openTimeLimit = openTimeLimit;
        _memory = memory is { IsEmpty: false } ? memory : null;
        _progress = progress;
    }

    /// <summary>File descriptors this process needs: both ends of every session live here, plus slack.</summary>
    public static ulong FileDescriptorsNeeded(int sessions) => (ulong)sessions * 2 + 256;

    public async Task<IdleResult> RunAsync(CancellationToken cancellationToken)
    {
        ulong? fileLimit = FileDescriptorLimit.Raise(FileDescriptorsNeeded(_sessions));
        await using var sink = new SinkServer(bufferSize: 64);
        sink.Start();
        byte[]? request = _connector.PrepareRequest(sink.EndPoint);

        MemorySample? before = _memory?.Sample();
        var errors = new ErrorTally();
        var sockets = new Socket?[_sessions];
        _progress?.SetPhase("opening");
        long openStart = Stopwatch.GetTimestamp();
        try
        {
            using (var openPhase = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                openPhase.CancelAfter(_openTimeLimit);
                int next = -1;
                async Task OpenerAsync()
                {
                    await Task.Yield();
                    int index;
                    while ((index = Interlocked.Increment(ref next)) < _sessions && !openPhase.IsCancellationRequested)
                    {
                        try
                        {
                            using var one = CancellationTokenSource.CreateLinkedTokenSource(openPhase.Token);
                            one.CancelAfter(_timeout);
                            sockets[index] = await _connector.OpenAsync(sink.EndPoint, request, one.Token).ConfigureAwait(false);
                            _progress?.Succeeded();
                        }
                        catch (Exception ex) when (ex is SocketException or SocksHandshakeException or OperationCanceledException or ObjectDisposedException)
                        {
                            cancellationToken.ThrowIfCancellationRequested();
                            errors.Record(ex);
                            _progress?.Failed();
                        }
                    }
                }

                await Task.WhenAll(Enumerable.Range(0, Math.Min(_openConcurrency, _sessions)).Select(_ => OpenerAsync())).ConfigureAwait(false);
            }

            double openSeconds = Stopwatch.GetElapsedTime(openStart).TotalSeconds;
            Socket[] open = [.. sockets.Where(s => s is not null).Select(s => s!)];
            int notAttempted = _sessions - open.Length - errors.Count;
            if (notAttempted > 0 && errors.First is null)
            {
                errors.Record(new TimeoutException($"opening stopped at the {_openTimeLimit.TotalSeconds:0} s limit"));
            }

            // Hold: one pending receive per session notices the proxy closing it.
            _progress?.SetPhase("holding");
            int dropped = 0;
            using var holdOver = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Task[] watchers = [.. open.Select(s => WatchAsync(s, () => Interlocked.Increment(ref dropped), holdOver.Token))];
            long holdStart = Stopwatch.GetTimestamp();
            await Task.Delay(_hold, cancellationToken).ConfigureAwait(false);
            double holdSeconds = Stopwatch.GetElapsedTime(holdStart).TotalSeconds;
            MemorySample? held = _memory?.Sample();
            await holdOver.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(watchers).ConfigureAwait(false);

            // Still usable? One byte from each; the sink must see them all.
            _progress?.SetPhase("checking");
            long sinkBefore = sink.BytesReceived;
            int sent = 0;
            foreach (Socket socket in open)
            {
                try
                {
                    if (socket.Send([0x2a], SocketFlags.None) == 1)
                    {
                        sent++;
                    }
                }
                catch (SocketException)
                {
                }
            }

            long deadline = Stopwatch.GetTimestamp() + (long)(_timeout.TotalSeconds * Stopwatch.Frequency);
            while (sink.BytesReceived - sinkBefore < sent && Stopwatch.GetTimestamp() < deadline)
            {
                await Task.Delay(20, cancellationToken).ConfigureAwait(false);
            }

            int alive = (int)Math.Min(sent, sink.BytesReceived - sinkBefore);

            _progress?.SetPhase("closing");
            foreach (Socket socket in open)
            {
                socket.Dispose();
            }

            Array.Clear(sockets);
            MemorySample? afterClose = null;
            if (_memory is not null)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
                afterClose = _memory.Sample();
            }

            return new IdleResult(
                _sessions, open.Length, _sessions - open.Length, dropped, alive, openSeconds, holdSeconds,
                fileLimit, before, held, afterClose, errors.First);
        }
        finally
        {
            foreach (Socket? socket in sockets)
            {
                socket?.Dispose();
            }
        }
    }

    private static async Task WatchAsync(Socket socket, Func<int> onDropped, CancellationToken holdOver)
    {
        byte[] one = new byte[1];
        try
        {
            // Returns on close (0) or on unexpected data: either way not an idle tunnel any more.
            _ = await socket.ReceiveAsync(one, SocketFlags.None, holdOver).ConfigureAwait(false);
            onDropped();
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
            onDropped();
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
