namespace Windsock.Server.Relay;

/// <summary>How a TCP relay moves bytes (<c>relay_mode</c> in the configuration).</summary>
public enum RelayMode
{
    /// <summary>
    /// splice(2) through a kernel pipe on Linux: the bytes never enter the process. Elsewhere, and where a
    /// socket refuses splice, the copy loop.
    /// </summary>
    Splice,

    /// <summary>Always the copy loop: receive into a pooled buffer, send from it.</summary>
    Copy,
}
