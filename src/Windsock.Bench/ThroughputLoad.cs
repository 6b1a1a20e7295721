using System.Diagnostics;
using System.Net.Sockets;

namespace Windsock.Bench;

/// <summary>
/// N parallel streams, each pushing a fixed buffer as fast as the path
/// accepts it into a local <see cref="SinkServer"/>. All streams are set up
/// first; then a warm-up, then the measured window. Bytes are counted by the
/// sink, so data still sitting in socket buffers is never counted.
/// </summary>
public sealed class ThroughputLoad
{
    private readonly TunnelConnector _connector;
    private readonly int _streams;
    private readonly TimeSpan _duration;
    private readonly TimeSpan _warmup;
    private readonly int _bufferSize;
    private readonly TimeSpan _setupTimeout;
    private readonly BenchProgress? _progress;

    public ThroughputLoad(TunnelConnector connector, int streams, TimeSpan duration, TimeSpan warmup, int bufferSize, TimeSpan setupTimeout, BenchProgress? progress = null)
    {
        ArgumentNullException.ThrowIfNull(connector);
        ArgumentOutOfRangeException.ThrowIfLessThan(streams, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(duration, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(warmup, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSize, 1);
        _connector = connector;
        _streams = streams;
        _duration = duration;
        _warmup = warmup;
        _bufferSize = bufferSize;
        _setupTimeout = setupTimeout;
        _progress = progress;
    }

    public async Task<ThroughputResult> RunAsync(CancellationToken cancellationToken)
    {
        await using var sink = new SinkServer(_bufferSize);
        sink.Start();
        _progress?.CountBytesWith(() => sink.BytesReceived);
        byte[]? request = _connector.PrepareRequest(sink.EndPoint);

        var sockets = new Socket[_streams];
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var errors = new ErrorTally();
        try
        {
            using (var setup = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                setup.CancelAfter(_setupTimeout);
                var opening = new Task<Socket>[_streams];
                for (int i = 0; i < _streams; i++)
                {
                    opening[i] = _connector.OpenAsync(sink.EndPoint, request, setup.Token);
                }

                try
                {
                    await Task.WhenAll(opening).ConfigureAwait(false);
                }
                catch (Exception) when (!cancellationToken.IsCancellationRequested)
                {
                    for (int i = 0; i < _streams; i++)
                    {
                        if (opening[i].IsCompletedSuccessfully)
                        {
                            opening[i].Result.Dispose();
                        }
                    }

                    Exception first = opening.First(t => !t.IsCompletedSuccessfully).Exception?.GetBaseException()
                        ?? new OperationCanceledException("stream setup timed out");
                    return new ThroughputResult(_streams, _streams, _bufferSize, 0, 0, "setup: " + ErrorTally.Describe(first));
                }

                for (int i = 0; i < _streams; i++)
                {
                    sockets[i] = opening[i].Result;
                }
            }

            var senders = new Task[_streams];
            for (int i = 0; i < _streams; i++)
            {
                senders[i] = SendUntilStoppedAsync(sockets[i], errors, stop.Token);
            }

            await Task.Delay(_warmup, cancellationToken).ConfigureAwait(false);
            long startBytes = sink.BytesReceived;
            long startTicks = Stopwatch.GetTimestamp();
            await Task.Delay(_duration, cancellationToken).ConfigureAwait(false);
            long endBytes = sink.BytesReceived;
            double seconds = Stopwatch.GetElapsedTime(startTicks).TotalSeconds;

            await stop.CancelAsync().ConfigureAwait(false);
            foreach (Socket socket in sockets)
            {
                socket.Dispose();
            }

            await Task.WhenAll(senders).ConfigureAwait(false);
            return new ThroughputResult(_streams, errors.Count, _bufferSize, seconds, endBytes - startBytes, errors.First);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            foreach (Socket? socket in sockets)
            {
                socket?.Dispose();
            }
        }
    }

    private async Task SendUntilStoppedAsync(Socket socket, ErrorTally errors, CancellationToken stop)
    {
        await Task.Yield();
        byte[] buffer = new byte[_bufferSize];
        // Not all zeros, in case anything on the path ever compresses.
        new Random(socket.GetHashCode()).NextBytes(buffer);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await socket.SendAsync(buffer, SocketFlags.None, stop).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            if (!stop.IsCancellationRequested)
            {
                errors.Record(ex);
            }
        }
    }
}
