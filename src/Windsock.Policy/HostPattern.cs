using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace Windsock.Policy;

public enum HostPatternKind
{
    /// <summary>"host.example.com": that name only.</summary>
    Exact,

    /// <summary>"*.example.com": any name below example.com, not example.com itself.</summary>
    Subdomains,

    /// <summary>".example.com": example.com and any name below it.</summary>
    DomainAndSubdomains,

    /// <summary>"192.0.2.7", "2001:db8::1": that address, only when the destination is an address.</summary>
    Address,
}

/// <summary>
/// A destination host pattern. Names compare case-insensitively (ASCII; IDNs are punycode on the
/// wire) and one trailing dot is ignored on both sides, so "WWW.Example.COM." matches
/// "www.example.com". Wildcards stand for whole labels only: "*.example.com" matches
/// "a.example.com" and "a.b.example.com" but not "badexample.com" nor "example.com".
/// An IP literal pattern matches only a destination given as that address, never a name.
/// </summary>
public sealed class HostPattern : IEquatable<HostPattern>
{
    private HostPattern(HostPatternKind kind, string domain, IPAddress? address)
    {
        Kind = kind;
        Domain = domain;
        Address = address;
    }

    public HostPatternKind Kind { get; }

    /// <summary>The lower-case name without wildcard, leading or trailing dot ("example.com"); empty for addresses.</summary>
    public string Domain { get; }

    public IPAddress? Address { get; }

    public static bool TryParse(string text, [NotNullWhen(true)] out HostPattern? pattern, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        pattern = null;
        error = null;
        if (text.Length == 0)
        {
            error = "an empty host pattern; write a name like \"host.example.com\", \"*.example.com\" or \".example.com\"";
            return false;
        }

        string bare = text.StartsWith('[') && text.EndsWith(']') ? text[1..^1] : text;
        if (NetworkSyntax.LooksLikeAddress(bare) && !bare.Contains('/', StringComparison.Ordinal))
        {
            if (!NetworkSyntax.TryParseAddress(bare, out IPAddress? address, out error))
            {
                return false;
            }

            pattern = new HostPattern(HostPatternKind.Address, string.Empty, address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
            return true;
        }

        HostPatternKind kind = HostPatternKind.Exact;
        string name = text;
        if (name.StartsWith("*.", StringComparison.Ordinal))
        {
            kind = HostPatternKind.Subdomains;
            name = name[2..];
        }
        else if (name.StartsWith('.'))
        {
            kind = HostPatternKind.DomainAndSubdomains;
            name = name[1..];
        }

        if (name.EndsWith('.'))
        {
            name = name[..^1];
        }

        if (name.Contains('*', StringComparison.Ordinal))
        {
            error = $"host pattern \"{text}\": '*' may only stand for whole leading labels, as in \"*.example.com\"";
            return false;
        }

        if (!IsValidName(name, out string? why))
        {
            error = $"host pattern \"{text}\": {why}";
            return false;
        }

        pattern = new HostPattern(kind, name.ToLowerInvariant(), null);
        return true;
    }

    public static HostPattern Parse(string text) =>
        TryParse(text, out HostPattern? pattern, out string? error) ? pattern : throw new FormatException(error);

    /// <summary>Does the requested host name match? Address patterns never match a name.</summary>
    public bool Matches(string hostName)
    {
        ArgumentNullException.ThrowIfNull(hostName);
        if (Kind == HostPatternKind.Address)
        {
            return false;
        }

        ReadOnlySpan<char> name = hostName.AsSpan();
        if (name.EndsWith('.'))
        {
            name = name[..^1];
        }

        ReadOnlySpan<char> domain = Domain.AsSpan();
        bool equal = name.Equals(domain, StringComparison.OrdinalIgnoreCase);
        bool below = name.Length > domain.Length + 1
            && name[^(domain.Length + 1)] == '.'
            && name[^domain.Length..].Equals(domain, StringComparison.OrdinalIgnoreCase)
            && name[0] != '.';
        return Kind switch
        {
            HostPatternKind.Exact => equal,
            HostPatternKind.Subdomains => below,
            _ => equal || below,
        };
    }

    /// <summary>Does the requested address match? Only address patterns match addresses.</summary>
    public bool Matches(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (Address is null)
        {
            return false;
        }

        return (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).Equals(Address);
    }

    public override string ToString() => Kind switch
    {
        HostPatternKind.Exact => Domain,
        HostPatternKind.Subdomains => "*." + Domain,
        HostPatternKind.DomainAndSubdomains => "." + Domain,
        _ => Address!.ToString(),
    };

    public bool Equals(HostPattern? other) => other is not null && other.ToString() == ToString();

    public override bool Equals(object? obj) => Equals(obj as HostPattern);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(ToString());

    private static bool IsValidName(string name, [NotNullWhen(false)] out string? why)
    {
        why = null;
        if (name.Length == 0)
        {
            why = "no name after the wildcard or dot";
            return false;
        }

        if (name.Length > 253)
        {
            why = "longer than 253 characters";
            return false;
        }

        foreach (Range range in name.AsSpan().Split('.'))
        {
            ReadOnlySpan<char> label = name.AsSpan()[range];
            if (label.Length == 0)
            {
                why = "has an empty label (two dots in a row)";
                return false;
            }

            if (label.Length > 63)
            {
                why = "has a label longer than 63 characters";
                return false;
            }

            foreach (char c in label)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_')
                {
                    why = $"'{c}' is not allowed in a host name (letters, digits, '-' and '_'; IDNs in punycode, xn--...)";
                    return false;
                }
            }
        }

        return true;
    }
}
