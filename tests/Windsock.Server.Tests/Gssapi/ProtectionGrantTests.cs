using Windsock.Protocol.Gssapi;
using Windsock.Server.Gssapi;
using Xunit;
using L = Windsock.Protocol.Gssapi.GssapiProtectionLevel;

namespace Windsock.Server.Tests.Gssapi;

/// <summary>RFC 1961 section 4: the client's level or a lower one, never a higher one; selective only when asked.</summary>
public sealed class ProtectionGrantTests
{
    public static TheoryData<L, L[], L?> Cases => new()
    {
        { L.Confidentiality, [L.Integrity, L.Confidentiality], L.Confidentiality },
        { L.Confidentiality, [L.Clear], L.Clear },                // curl asks 2; Dante's clear mode answers 0
        { L.Confidentiality, [L.Integrity], L.Integrity },
        { L.Integrity, [L.Confidentiality], null },               // never above what was asked
        { L.Clear, [L.Integrity, L.Confidentiality], null },      // a clear-only client meets a protecting server
        { L.Selective, [L.Selective, L.Integrity], L.Selective },
        { L.Selective, [L.Integrity, L.Confidentiality], L.Confidentiality },
        { L.Confidentiality, [L.Selective], null },               // a mix is not forced on a client that asked for one level
        { L.Integrity, [L.Selective, L.Clear], L.Clear },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Grants_the_asked_level_or_the_strongest_accepted_lower_one(L asked, L[] accepted, L? granted) =>
        Assert.Equal(granted, ProtectionGrant.Choose(asked, accepted));

    [Fact]
    public void Level_names_round_trip()
    {
        foreach (var level in Enum.GetValues<GssapiProtectionLevel>())
        {
            Assert.True(GssapiLevelNames.TryParse(GssapiLevelNames.Name(level), out var parsed));
            Assert.Equal(level, parsed);
        }

        Assert.False(GssapiLevelNames.TryParse("Integrity", out _));
    }
}
