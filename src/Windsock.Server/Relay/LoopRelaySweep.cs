using Windsock.Server.Sessions;

namespace Windsock.Server.Relay;

/// <summary>
/// The idle timeout of the relays on the handshake loop: one timer for all of them, which walks the loop's handlers and
/// stops every relay idle for its timeout, instead of a timer per relay (about 150 bytes per idle session, and a timer
/// created and disposed per connection). It ticks at the check interval of the shortest idle timeout any relay has had
/// (<see cref="TcpRelay.CheckInterval"/>: a quarter of it, at most 30 s), so a relay is stopped at most that much late.
/// </summary>
internal static class LoopRelaySweep
{
    private static readonly Lock Gate = new();
    private static ITimer? _timer;
    private static long _intervalTicks = long.MaxValue;

    /// <summary>A relay with <paramref name="idleTimeout"/> started: the sweep runs, often enough for it.</summary>
    public static void Cover(TimeSpan idleTimeout)
    {
        var interval = TcpRelay.CheckInterval(idleTimeout);
        if (interval.Ticks >= Volatile.Read(ref _intervalTicks))
        {
            return;
        }

        lock (Gate)
        {
            if (interval.Ticks >= _intervalTicks)
            {
                return;
            }

            Volatile.Write(ref _intervalTicks, interval.Ticks);
            if (_timer is null)
            {
                _timer = TimeProvider.System.CreateTimer(static _ => HandshakeLoop.Sweep(), null, interval, interval);
            }
            else
            {
                _timer.Change(interval, interval);
            }
        }
    }
}
