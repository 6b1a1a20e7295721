using Windsock.Server.Configuration;
using Windsock.Server.Gssapi;
using Xunit;

namespace Windsock.Server.Tests.Gssapi;

/// <summary>
/// Keytabs written by MIT's own kadmin.local, in a throwaway realm: the principals are read back from the real
/// bytes, and a keytab holding another service's key next to the configured one stops the start.
/// </summary>
public sealed class KeytabPrincipalsTests
{
    private static ServerOptions With(string keytab, string? service) => new()
    {
        Gssapi = new GssapiOptions { Keytab = keytab, ServicePrincipal = service },
        Origins = new Dictionary<string, string> { ["gssapi.keytab"] = "windsock.toml:9:1" },
    };

    [Fact]
    public async Task Reads_the_principals_kadmin_wrote_and_refuses_a_keytab_with_other_services()
    {
        Assert.SkipUnless(KerberosRealm.ToolsInstalled, "needs MIT Kerberos (krb5-kdc, krb5-admin-server, krb5-user; test.sh installs them)");
        var ct = TestContext.Current.CancellationToken;
        await using var realm = await KerberosRealm.StartAsync(ct);
        string own = await realm.AddServiceAsync("rcmd", ct);
        string shared = await realm.AddServiceAsync("socks", ct);
        await realm.AddServiceAsync("host", ct, keytab: shared);

        Assert.Equal(["rcmd/localhost@WINDSOCK.TEST"], KeytabPrincipals.TryRead(await File.ReadAllBytesAsync(own, ct)));
        Assert.Equal(
            ["host/localhost@WINDSOCK.TEST", "socks/localhost@WINDSOCK.TEST"],
            KeytabPrincipals.TryRead(await File.ReadAllBytesAsync(shared, ct))!.Order(StringComparer.Ordinal));

        Assert.Null(KeytabCheck.Check(With(own, "rcmd/localhost")));
        Assert.Null(KeytabCheck.Check(With(own, "rcmd/localhost@WINDSOCK.TEST")));
        Assert.Null(KeytabCheck.Check(With(shared, null))); // no service_principal: nothing to enforce

        var refused = KeytabCheck.Check(With(shared, "socks/localhost"));
        Assert.NotNull(refused);
        Assert.Equal(("windsock.toml", 9, 1), (refused.FileName, refused.Line, refused.Column));
        Assert.Contains("holds keys for host/localhost@WINDSOCK.TEST besides socks/localhost", refused.Message, StringComparison.Ordinal);
        Assert.Contains("ktadd -k FILE socks/localhost", refused.Fix, StringComparison.Ordinal);

        var wrongRealm = KeytabCheck.Check(With(own, "rcmd/localhost@OTHER.TEST"));
        Assert.Contains("holds keys for rcmd/localhost@WINDSOCK.TEST besides", wrongRealm!.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("05 02 00 00 00 10 00 01 00 01 52")] // entry longer than the file
    [InlineData("05 02 00 00")] // size field cut short
    [InlineData("05 02 00 00 00 04 00 00 00 00")] // zero components
    [InlineData("05 02 00 00 00 06 00 01 00 09 41 41")] // realm longer than its entry
    [InlineData("05 03")]
    [InlineData("04 02")]
    [InlineData("05")]
    public void Malformed_bytes_are_not_a_keytab(string hex)
    {
        Assert.Null(KeytabPrincipals.TryRead(Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal))));
    }

    [Fact]
    public void Holes_of_deleted_entries_are_skipped_and_a_zero_size_ends_the_list()
    {
        // A hole of 3 bytes (size -3), then "a/b@R" (2 components, realm "R"), then size 0 and junk.
        byte[] entry = [0x00, 0x02, 0x00, 0x01, (byte)'R', 0x00, 0x01, (byte)'a', 0x00, 0x01, (byte)'b'];
        byte[] file = [0x05, 0x02, 0xFF, 0xFF, 0xFF, 0xFD, 1, 2, 3, 0x00, 0x00, 0x00, (byte)entry.Length, .. entry, 0, 0, 0, 0, 0xEE];
        Assert.Equal(["a/b@R"], KeytabPrincipals.TryRead(file));
        Assert.Empty(KeytabPrincipals.TryRead([0x05, 0x02])!);
    }
}
