namespace Windsock.Server.Limits;

/// <summary>How close a new descriptor's number is to RLIMIT_NOFILE (see <see cref="DescriptorHeadroom"/>).</summary>
internal enum DescriptorLevel
{
    /// <summary>More than twice the headroom left.</summary>
    Plenty,

    /// <summary>Between one and two headrooms left: usable, but a paused listener does not resume yet (no flapping).</summary>
    Scarce,

    /// <summary>Inside the headroom: the descriptor is given back at once.</summary>
    Exhausted,
}
