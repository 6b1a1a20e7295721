using Windsock.Server.Limits;

namespace Windsock.Server.Relay;

/// <summary>
/// The copy loop of a session with a bandwidth limit (<c>bandwidth_per_user_up</c> and the like): each direction
/// draws from its user's and rule's buckets and waits when they run dry. One instance per such session; a
/// session without a limit never comes here and keeps splice (or the shared <see cref="CopyStrategy"/>).
/// </summary>
internal sealed class PacedCopyStrategy(int bufferSize, SessionLimits limits) : RelayStrategy
{
    public override string Name => "paced";

    public override Task PumpAsync(TcpRelay relay, RelayDirection direction) =>
        CopyStrategy.CopyAsync(relay, direction, bufferSize, direction.Upstream ? limits.Up : limits.Down);
}
