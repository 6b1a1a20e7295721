using System.Buffers;
using System.Net.Sockets;
using Windsock.Server.Limits;

namespace Windsock.Server.Relay;

/// <summary>
/// The copy loop: receive into a pooled buffer, send from it.
/// <list type="bullet">
/// <item>No buffer is held while a direction is idle: a zero-byte receive waits for data, and only then is a
/// buffer rented; it goes back to the pool as soon as the socket has nothing more queued.</item>
/// <item>No allocation per read: pooled buffers and the sockets' cached awaitables.</item>
/// </list>
/// The relay everywhere splice(2) is not (and with <c>relay_mode = "copy"</c>), and the fallback of
/// <see cref="SpliceStrategy"/> for sockets that refuse splice.
/// </summary>
internal sealed class CopyStrategy : RelayStrategy
{
    private static CopyStrategy? _last;

    private CopyStrategy(int bufferSize) => BufferSize = bufferSize;

    public int BufferSize { get; }

    /// <summary>One instance per buffer size in use (the configuration has one at a time): nothing allocated per session.</summary>
    public static CopyStrategy For(int bufferSize)
    {
        var last = Volatile.Read(ref _last);
        if (last is null || last.BufferSize != bufferSize)
        {
            last = new CopyStrategy(bufferSize);
            Volatile.Write(ref _last, last);
        }

        return last;
    }

    public override string Name => "copy";

    public override Task PumpAsync(TcpRelay relay, RelayDirection direction) => CopyAsync(relay, direction, BufferSize, pacer: null);

    /// <summary>
    /// The loop itself. With a <paramref name="pacer"/> (a bandwidth-limited session) each read takes at most the
    /// pacer's chunk, and after each send the pump waits until the session's buckets are back in credit.
    /// </summary>
    internal static async Task CopyAsync(TcpRelay relay, RelayDirection direction, int bufferSize, BandwidthPacer? pacer)
    {
        int readSize = RelayPacing.ReadSize(pacer, bufferSize);
        var from = direction.From;
        var to = direction.To;
        var shutdown = relay.Shutdown;
        byte[]? buffer = null;
        try
        {
            while (true)
            {
                if (buffer is null)
                {
                    // Wait for readability without holding memory: idle sessions cost no buffer (and, parked, no receive).
                    await relay.WaitReadableAsync(direction).ConfigureAwait(false);
                    if (relay.Stopped)
                    {
                        return;
                    }

                    buffer = ArrayPool<byte>.Shared.Rent(readSize);
                }

                int read;
                try
                {
                    read = await from.ReceiveAsync(buffer.AsMemory(0, readSize), SocketFlags.None, shutdown).ConfigureAwait(false);
                }
                catch (SocketException)
                {
                    relay.Fail(direction.FromSide);
                    return;
                }

                if (relay.Stopped)
                {
                    return;
                }

                if (read == 0)
                {
                    TcpRelay.PassOnFin(to);
                    return;
                }

                relay.Touch();
                try
                {
                    await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, shutdown).ConfigureAwait(false);
                }
                catch (SocketException)
                {
                    relay.Fail(direction.ToSide);
                    return;
                }

                relay.CountMoved(direction, read);
                if (!await RelayPacing.AfterMovedAsync(relay, pacer, read).ConfigureAwait(false))
                {
                    return;
                }

                if (from.Available == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = null;
                }
            }
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

        }
    }
}
