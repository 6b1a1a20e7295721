using Windsock.Protocol.Gssapi;

namespace Windsock.Server.Gssapi;

/// <summary>The words the configuration file and the request log use for RFC 1961 protection levels.</summary>
public static class GssapiLevelNames
{
    public static string Name(GssapiProtectionLevel level) => level switch
    {
        GssapiProtectionLevel.Clear => "clear",
        GssapiProtectionLevel.Integrity => "integrity",
        GssapiProtectionLevel.Confidentiality => "confidentiality",
        GssapiProtectionLevel.Selective => "selective",
        _ => $"0x{(byte)level:X2}",
    };

    public static bool TryParse(string text, out GssapiProtectionLevel level)
    {
        ArgumentNullException.ThrowIfNull(text);
        (bool ok, level) = text switch
        {
            "clear" => (true, GssapiProtectionLevel.Clear),
            "integrity" => (true, GssapiProtectionLevel.Integrity),
            "confidentiality" => (true, GssapiProtectionLevel.Confidentiality),
            "selective" => (true, GssapiProtectionLevel.Selective),
            _ => (false, GssapiProtectionLevel.Clear),
        };
        return ok;
    }

    public static string List(IEnumerable<GssapiProtectionLevel> levels) => string.Join(", ", levels.Select(Name));
}
