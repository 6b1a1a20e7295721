using Windsock.Server.Limits;

namespace Windsock.Server.Relay;

/// <summary>
/// The bandwidth limit's part of a pump, the same for every strategy that paces (the copy loop, the GSSAPI
/// wrapping relay): how much to read at once, and the wait after bytes have moved.
/// </summary>
internal static class RelayPacing
{
    /// <summary>The most one read may take: the pacer's chunk, or <paramref name="bufferSize"/> without a limit.</summary>
    public static int ReadSize(BandwidthPacer? pacer, int bufferSize) => pacer?.ChunkSize(bufferSize) ?? bufferSize;

    /// <summary>
    /// After <paramref name="moved"/> bytes went out: waits until the session's buckets are back in credit (the peer's
    /// TCP window fills meanwhile and slows it down; nothing is dropped). False when the relay stopped during the wait.
    /// </summary>
    public static async ValueTask<bool> AfterMovedAsync(TcpRelay relay, BandwidthPacer? pacer, int moved)
    {
        var wait = pacer?.Take(moved) ?? TimeSpan.Zero;
        if (wait <= TimeSpan.Zero)
        {
            return true;
        }

        await Task.Delay(wait, relay.Time, relay.Shutdown).ConfigureAwait(false);
        relay.Touch();
        return !relay.Stopped;
    }
}
