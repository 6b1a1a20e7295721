using System.Net.Security;
using Windsock.Protocol.Gssapi;

namespace Windsock.Client.Gssapi;

/// <summary>
/// The public API speaks .NET's <see cref="ProtectionLevel"/>; the wire speaks RFC 1961's octet. None is
/// Dante's and curl's level 0 ("clear": authenticated, then unwrapped), Sign is integrity (1),
/// EncryptAndSign confidentiality (2). RFC 1961's selective (3) is the proxy's to grant only.
/// </summary>
internal static class GssapiLevels
{
    public static GssapiProtectionLevel ToWire(ProtectionLevel level) => level switch
    {
        ProtectionLevel.None => GssapiProtectionLevel.Clear,
        ProtectionLevel.Sign => GssapiProtectionLevel.Integrity,
        _ => GssapiProtectionLevel.Confidentiality,
    };

    /// <summary>What this side applies at a granted level: under selective it encrypts every message.</summary>
    public static ProtectionLevel FromWire(GssapiProtectionLevel level) => level switch
    {
        GssapiProtectionLevel.Clear => ProtectionLevel.None,
        GssapiProtectionLevel.Integrity => ProtectionLevel.Sign,
        _ => ProtectionLevel.EncryptAndSign,
    };

    /// <summary>The RFC's word for a level, as URIs (<c>?gssapi=integrity</c>) and messages write it.</summary>
    public static string Name(ProtectionLevel level) => level switch
    {
        ProtectionLevel.None => "clear",
        ProtectionLevel.Sign => "integrity",
        _ => "confidentiality",
    };
}
