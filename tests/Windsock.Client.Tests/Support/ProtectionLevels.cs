using System.Net.Security;
using Windsock.Protocol.Gssapi;

namespace Windsock.Client.Tests.Support;

/// <summary>
/// The tests script the proxy in RFC 1961's levels; the client's public API takes .NET's
/// <see cref="ProtectionLevel"/>. Written out here rather than borrowed from the library, so a wrong
/// mapping in the library fails the tests.
/// </summary>
internal static class ProtectionLevels
{
    public static ProtectionLevel ToPublic(this GssapiProtectionLevel level) => level switch
    {
        GssapiProtectionLevel.Clear => ProtectionLevel.None,
        GssapiProtectionLevel.Integrity => ProtectionLevel.Sign,
        GssapiProtectionLevel.Confidentiality => ProtectionLevel.EncryptAndSign,
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, "no public counterpart"),
    };
}
