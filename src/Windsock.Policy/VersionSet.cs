using System.Diagnostics.CodeAnalysis;
using Windsock.Protocol;

namespace Windsock.Policy;

/// <summary>The protocol versions a rule applies to, as written in rules: "4", "4a", "5".</summary>
public enum PolicyVersion
{
    /// <summary>"4": every SOCKS4 request, with an address or (4a) a name.</summary>
    Socks4,

    /// <summary>"4a": SOCKS4 requests that carry a host name.</summary>
    Socks4a,

    /// <summary>"5": every SOCKS5 request.</summary>
    Socks5,
}

/// <summary>
/// A set of versions. "4" covers SOCKS4a too, since 4a is SOCKS4 with a name; "4a" alone means only
/// the requests that carry a name.
/// </summary>
public sealed class VersionSet
{
    private readonly PolicyVersion[] _versions;

    public VersionSet(IEnumerable<PolicyVersion> versions)
    {
        ArgumentNullException.ThrowIfNull(versions);
        _versions = [.. versions.Distinct().Order()];
    }

    public static VersionSet Of(params PolicyVersion[] versions) => new(versions);

    public bool Matches(SocksVersion version, bool destinationIsName) => version switch
    {
        SocksVersion.Socks5 => _versions.Contains(PolicyVersion.Socks5),
        _ => _versions.Contains(PolicyVersion.Socks4) || (destinationIsName && _versions.Contains(PolicyVersion.Socks4a)),
    };

    public static bool TryParseName(string text, out PolicyVersion version, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        error = null;
        switch (text)
        {
            case "4": version = PolicyVersion.Socks4; return true;
            case "4a": version = PolicyVersion.Socks4a; return true;
            case "5": version = PolicyVersion.Socks5; return true;
            default:
                version = PolicyVersion.Socks5;
                error = $"\"{text}\" is not a SOCKS version; write \"4\", \"4a\" or \"5\"";
                return false;
        }
    }

    public static string Name(PolicyVersion version) => version switch
    {
        PolicyVersion.Socks4 => "4",
        PolicyVersion.Socks4a => "4a",
        _ => "5",
    };

    public static bool TryParse(IEnumerable<string> items, [NotNullWhen(true)] out VersionSet? set, out int errorIndex, out string? error)
    {
        ArgumentNullException.ThrowIfNull(items);
        set = EnumSet.TryParse<PolicyVersion>(items, TryParseName, "version", out var values, out errorIndex, out error) ? new VersionSet(values) : null;
        return set is not null;
    }

    public override string ToString() => "{" + string.Join(",", _versions.Select(Name)) + "}";
}
