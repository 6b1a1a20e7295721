using System.Net;
using Windsock.Protocol.Gssapi;
using Windsock.Server.Configuration;
using Xunit;

namespace Windsock.Server.Tests.Configuration;

/// <summary>The [gssapi] section: turned on by its keytab, levels and service principal checked where written.</summary>
public sealed class GssapiConfigTests
{
    private const string FileName = "/etc/windsock/windsock.toml";

    [Fact]
    public void Absent_section_means_no_gssapi_and_no_authentication_required()
    {
        ServerOptions options = ConfigLoader.Parse("", FileName);

        Assert.Null(options.Gssapi);
        Assert.False(options.RequiresAuthentication);
    }

    [Fact]
    public void Every_key_is_read_and_a_relative_keytab_is_next_to_the_file()
    {
        const string toml = """
            [gssapi]
            keytab = "krb5.keytab"
            service_principal = "rcmd/proxy.example.org@EXAMPLE.ORG"
            protection = ["clear", "confidentiality"]
            """;

        ServerOptions options = ConfigLoader.Parse(toml, FileName);

        Assert.Equal("/etc/windsock/krb5.keytab", options.Gssapi!.Keytab);
        Assert.Equal("rcmd/proxy.example.org@EXAMPLE.ORG", options.Gssapi.ServicePrincipal);
        Assert.Equal([GssapiProtectionLevel.Clear, GssapiProtectionLevel.Confidentiality], options.Gssapi.Protection);
        Assert.True(options.RequiresAuthentication);
        Assert.Equal($"{FileName}:2:1", options.Origins["gssapi.keytab"]);
    }

    [Fact]
    public void Default_levels_protect_every_message()
    {
        GssapiOptions gssapi = ConfigLoader.Parse("[gssapi]\nkeytab = \"/k\"\n", FileName).Gssapi!;

        Assert.Null(gssapi.ServicePrincipal);
        Assert.DoesNotContain(GssapiProtectionLevel.Clear, gssapi.Protection);
        Assert.Equal(3, gssapi.Protection.Count);
    }

    [Theory]
    [InlineData("[gssapi]\nprotection = [\"integrity\"]\n", 2, 1, "[gssapi] is set but has no keytab")]
    [InlineData("[gssapi]\nkeytab = \"/k\"\nprotection = [\"integrty\"]\n", 3, 15, "\"integrty\" is not a protection level")]
    [InlineData("[gssapi]\nkeytab = \"/k\"\nprotection = []\n", 3, 14, "is empty")]
    [InlineData("[gssapi]\nkeytab = \"/k\"\nprotection = [\"clear\", \"clear\"]\n", 3, 24, "lists \"clear\" twice")]
    [InlineData("[gssapi]\nkeytab = \"/k\"\nprotection = \"clear\"\n", 3, 14, "not a single string")]
    [InlineData("[gssapi]\nkeytab = \"/k\"\nservice_principal = \"rcmd\"\n", 3, 21, "is not a service principal")]
    [InlineData("[gssapi]\nkeytab = \"/k\"\nservice_principal = \"rcmd/host@A@B\"\n", 3, 21, "is not a service principal")]
    [InlineData("[gssapi]\nkeytab = \"\"\n", 2, 10, "gssapi.keytab is empty")]
    [InlineData("[gssapi]\nkeytab = \"/k\"\nrealm = \"X\"\n", 3, 1, "unknown key \"realm\" in [gssapi]")]
    public void Errors_name_the_exact_position(string toml, int line, int column, string messagePart)
    {
        ConfigException error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(toml, FileName));

        Assert.Contains(messagePart, error.Message, StringComparison.Ordinal);
        Assert.Equal((FileName, line, column), (error.FileName, error.Line, error.Column));
        Assert.NotEmpty(error.Fix);
    }

    [Fact]
    public void Gssapi_counts_as_authentication_for_the_open_proxy_guard()
    {
        var options = new ServerOptions
        {
            Listen = [new IPEndPoint(IPAddress.Any, 1080)],
            AllowedClients = [IPNetwork.Parse("0.0.0.0/0")],
            Gssapi = new GssapiOptions { Keytab = "/etc/windsock/krb5.keytab" },
            Origins = new Dictionary<string, string> { ["server.allowed_clients"] = "t:1:1", ["server.listen"] = "t:2:1" },
        };

        Assert.Null(OpenProxyGuard.Check(options));
    }

    [Fact]
    public void Keytab_check_names_the_key_and_refuses_what_is_no_keytab()
    {
        using var dir = new TempDirectory();
        var notKeytab = Path.Combine(dir.Path, "users");
        File.WriteAllText(notKeytab, "alice:...\n");
        var good = Path.Combine(dir.Path, "good.keytab");
        File.WriteAllBytes(good, [0x05, 0x02, 0, 0]);
        ServerOptions With(string keytab) => new()
        {
            Gssapi = new GssapiOptions { Keytab = keytab },
            Origins = new Dictionary<string, string> { ["gssapi.keytab"] = $"{FileName}:7:1" },
        };

        Assert.Null(KeytabCheck.Check(With(good)));
        var missing = KeytabCheck.Check(With(Path.Combine(dir.Path, "absent.keytab")));
        Assert.Equal((FileName, 7, 1), (missing!.FileName, missing.Line, missing.Column));
        Assert.Contains("cannot read the keytab", missing.Message, StringComparison.Ordinal);
        Assert.Contains("is not a Kerberos keytab", KeytabCheck.Check(With(notKeytab))!.Message, StringComparison.Ordinal);
    }
}
