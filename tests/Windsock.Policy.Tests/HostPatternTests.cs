using System.Net;
using CsCheck;
using Xunit;

namespace Windsock.Policy.Tests;

public class HostPatternTests
{
    [Theory]
    [InlineData("host.example.com", "host.example.com", true)]
    [InlineData("host.example.com", "HOST.Example.COM", true)]
    [InlineData("host.example.com", "host.example.com.", true)]
    [InlineData("host.example.com.", "host.example.com", true)]
    [InlineData("host.example.com", "a.host.example.com", false)]
    [InlineData("host.example.com", "example.com", false)]
    [InlineData("*.example.com", "a.example.com", true)]
    [InlineData("*.example.com", "a.b.example.com", true)]
    [InlineData("*.example.com", "A.EXAMPLE.com.", true)]
    [InlineData("*.example.com", "example.com", false)]
    [InlineData("*.example.com", "badexample.com", false)]
    [InlineData("*.example.com", "example.com.evil.net", false)]
    [InlineData(".example.com", "example.com", true)]
    [InlineData(".example.com", "Example.Com.", true)]
    [InlineData(".example.com", "www.example.com", true)]
    [InlineData(".example.com", "badexample.com", false)]
    [InlineData(".example.com", "com", false)]
    [InlineData("192.0.2.7", "192.0.2.7", false)]
    public void Matches_names(string pattern, string name, bool expected)
    {
        Assert.Equal(expected, HostPattern.Parse(pattern).Matches(name));
    }

    [Theory]
    [InlineData("192.0.2.7", "192.0.2.7", true)]
    [InlineData("192.0.2.7", "::ffff:192.0.2.7", true)]
    [InlineData("192.0.2.7", "192.0.2.8", false)]
    [InlineData("[2001:db8::1]", "2001:db8::1", true)]
    [InlineData("2001:db8::1", "2001:db8:0::1", true)]
    [InlineData("*.example.com", "192.0.2.7", false)]
    [InlineData("example.com", "192.0.2.7", false)]
    public void Only_address_patterns_match_addresses(string pattern, string address, bool expected)
    {
        Assert.Equal(expected, HostPattern.Parse(pattern).Matches(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("*", "'*'")]
    [InlineData("*.", "no name")]
    [InlineData(".", "no name")]
    [InlineData("foo*.example.com", "'*'")]
    [InlineData("*.*.example.com", "'*'")]
    [InlineData("a..example.com", "empty label")]
    [InlineData("exa mple.com", "' '")]
    [InlineData("bücher.example", "'ü'")]
    [InlineData("10.1", "dotted-quad")]
    [InlineData("010.0.0.1", "dotted-quad")]
    public void Rejects_malformed_patterns_with_a_reason(string text, string expectedInError)
    {
        Assert.False(HostPattern.TryParse(text, out var pattern, out string? error));
        Assert.Null(pattern);
        Assert.Contains(expectedInError, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Round_trips_through_text_in_lower_case()
    {
        Assert.Equal("*.example.com", HostPattern.Parse("*.Example.COM.").ToString());
        Assert.Equal(".example.com", HostPattern.Parse(".example.com").ToString());
        Assert.Equal(HostPatternKind.DomainAndSubdomains, HostPattern.Parse(".example.com").Kind);
        Assert.Equal(HostPatternKind.Address, HostPattern.Parse("::1").Kind);
    }

    private static readonly Gen<string> Label = Gen.OneOf(
        Gen.OneOf(Gen.Const("a"), Gen.Const("b"), Gen.Const("ab"), Gen.Const("example"), Gen.Const("com"), Gen.Const("x-1")),
        Gen.Char["abcXYZ019-_"].Array[1, 6].Select(c => new string(c)));

    private static readonly Gen<string[]> Labels = Label.Array[1, 4];

    /// <summary>The specification, label by label, independent of the suffix arithmetic in HostPattern.</summary>
    private static bool Reference(string kind, string[] patternLabels, string[] nameLabels)
    {
        static bool EqualLabels(IEnumerable<string> a, IEnumerable<string> b) =>
            a.Select(l => l.ToLowerInvariant()).SequenceEqual(b.Select(l => l.ToLowerInvariant()));

        bool equal = EqualLabels(patternLabels, nameLabels);
        bool below = nameLabels.Length > patternLabels.Length && EqualLabels(patternLabels, nameLabels[^patternLabels.Length..]);
        return kind switch
        {
            "" => equal,
            "*." => below,
            _ => equal || below,
        };
    }

    [Fact]
    public void Agrees_with_a_label_by_label_reference()
    {
        Gen.Select(Gen.OneOf(Gen.Const(""), Gen.Const("*."), Gen.Const(".")), Labels, Labels, Gen.Bool, Gen.Bool)
            .Sample((kind, patternLabels, nameLabels, shareSuffix, trailingDot) =>
            {
                // Half the time the name ends in the pattern's labels, so matches are common.
                string[] name = shareSuffix ? [.. nameLabels[..^1], .. patternLabels] : nameLabels;
                string patternText = kind + string.Join('.', patternLabels);
                if (NetworkSyntax.LooksLikeAddress(patternText))
                {
                    return; // digits and dots only: an address, not a name
                }

                var pattern = HostPattern.Parse(patternText);
                string nameText = string.Join('.', name).ToUpperInvariant() is var upper && trailingDot ? upper + "." : string.Join('.', name);
                Assert.Equal(Reference(kind, patternLabels, name), pattern.Matches(nameText));
            }, iter: 5_000);
    }
}
