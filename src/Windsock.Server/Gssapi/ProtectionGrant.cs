using Windsock.Protocol.Gssapi;

namespace Windsock.Server.Gssapi;

/// <summary>
/// RFC 1961 section 4: the server answers a client's protection level with that level or a lower one, or
/// aborts when it can grant none. "Lower" follows the numbering (clear 0 &lt; integrity 1 &lt; confidentiality 2);
/// selective (3) is granted only to a client that asked for it, since a client asking for 1 or 2 cannot be
/// expected to accept a mix.
/// </summary>
public static class ProtectionGrant
{
    private static readonly GssapiProtectionLevel[] StrongestFirst =
        [GssapiProtectionLevel.Confidentiality, GssapiProtectionLevel.Integrity, GssapiProtectionLevel.Clear];

    /// <returns>The level to grant, or null when every accepted level is above what the client asked for.</returns>
    public static GssapiProtectionLevel? Choose(GssapiProtectionLevel asked, IReadOnlyCollection<GssapiProtectionLevel> accepted)
    {
        ArgumentNullException.ThrowIfNull(accepted);
        if (accepted.Contains(asked))
        {
            return asked;
        }

        foreach (var level in StrongestFirst)
        {
            if (level < asked && accepted.Contains(level))
            {
                return level;
            }
        }

        return null;
    }
}
