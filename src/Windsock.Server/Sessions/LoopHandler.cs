namespace Windsock.Server.Sessions;

/// <summary>
/// What the <see cref="HandshakeLoop"/>'s epoll set reports to: a socket's one-shot wait (<see cref="LoopWait"/>) or
/// a relay's two edge-triggered sockets (<see cref="Relay.LoopRelay"/>). Each holds a slot of the loop while it is
/// registered; an event carries the slot and the generation it was registered with, so a report that arrives after
/// its handler left (its slot freed or taken by another) is told apart and dropped.
/// </summary>
internal abstract class LoopHandler
{
    /// <summary>
    /// The generation of the handler's slot, always even: a handler with two sockets tells them apart by the
    /// lowest bit of the generation it registered each one with.
    /// </summary>
    internal uint Generation { get; set; }

    /// <summary>
    /// On a loop thread: the socket registered with <paramref name="generation"/> reported <paramref name="events"/>.
    /// True when the report was this handler's and taken (the caller counts it).
    /// </summary>
    internal abstract bool Ready(uint generation, uint events);

    /// <summary>On the idle sweep's timer thread (<see cref="Relay.LoopRelaySweep"/>): a handler with an idle timeout checks it.</summary>
    internal virtual void Sweep()
    {
    }
}
