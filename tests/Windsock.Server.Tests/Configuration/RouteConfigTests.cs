using System.Net;
using Windsock.Client;
using Windsock.Server.Configuration;
using Xunit;

namespace Windsock.Server.Tests.Configuration;

/// <summary>[[route]] tables and a rule's via and source: what they read into, and each mistake as a located error with a fix.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RouteConfigTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string ConfigPath => Path.Combine(_dir.Path, "windsock.toml");

    private string PasswordFile(string name, string password, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        string path = Path.Combine(_dir.Path, name);
        File.WriteAllText(path, password + "\n");
        File.SetUnixFileMode(path, mode);
        return path;
    }

    private const string ViaRule = "[[rule]]\naction = \"allow\"\ncommands = [\"connect\"]\nvia = \"office\"\n";

    [Fact]
    public void A_route_reads_its_chains_with_each_hops_credentials_from_files()
    {
        string a = PasswordFile("a.password", "secret-a");
        string toml = $$"""
            [[route]]
            name = "office"
            chains = [
              [{ url = "socks5h://alice@127.0.0.1:1081", password_file = "a.password" }, "socks4a://relay@127.0.0.1:1082"],
              ["socks5://127.0.0.1:1083"],
            ]
            max_failures = 2
            retry_time = "5s"

            """ + ViaRule;

        var options = ConfigLoader.Parse(toml, ConfigPath);

        var route = Assert.Single(options.Routes);
        Assert.Equal(("office", 2, TimeSpan.FromSeconds(5)), (route.Name, route.MaxFailures, route.RetryTime));
        Assert.Equal(2, route.Chains.Count);
        ProxyHop first = route.Chains[0][0];
        Assert.Equal(("alice", "secret-a"), (first.Credentials!.UserName, first.Credentials.Password));
        Assert.Equal(SocksProtocol.Socks4a, route.Chains[0][1].Protocol);
        Assert.Equal("relay", route.Chains[0][1].UserId);
        Assert.Null(route.Chains[1][0].Credentials);
        Assert.Equal("socks5h://alice@127.0.0.1:1081 -> socks4a://relay@127.0.0.1:1082", UpstreamRouteOptions.Describe(route.Chains[0]));
        Assert.Empty(route.Warnings);
        Assert.Equal("office", options.Rules!.Rules[0].Via);
        Assert.Equal(a, Path.Combine(_dir.Path, "a.password"));
    }

    [Fact]
    public void A_password_file_others_can_read_is_a_warning_with_the_fix()
    {
        string path = PasswordFile("open.password", "pw", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        string toml = $"[[route]]\nname = \"office\"\nchain = [{{ url = \"socks5h://alice@127.0.0.1:1081\", password_file = \"{path}\" }}]\n" + ViaRule;

        var route = Assert.Single(ConfigLoader.Parse(toml, ConfigPath).Routes);

        string warning = Assert.Single(route.Warnings);
        Assert.Contains($"upstream password file {path} is readable by every user", warning, StringComparison.Ordinal);
        Assert.Contains($"fix: chmod 640 {path}", warning, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[[route]]\nname = \"office\"\nchain = [\"socks5h://127.0.0.1:1081\"]\n[[rule]]\naction = \"allow\"\ncommands = [\"connect\"]\nvia = \"ofice\"\n", 7, 7, "names the route \"ofice\", which is not defined", "did you mean \"office\"?")]
    [InlineData("[[route]]\nname = \"office\"\nchain = [\"http://127.0.0.1:8080\"]\n" + ViaRule, 3, 10, "'http' is not a SOCKS scheme", "socks5h://HOST:PORT")]
    [InlineData("[[route]]\nname = \"office\"\nchain = [\"127.0.0.1:1081\"]\n" + ViaRule, 3, 10, "is not a proxy URL", "socks5h://HOST:PORT")]
    [InlineData("[[route]]\nname = \"office\"\nchain = [\"socks5h://alice:secret@127.0.0.1:1081\"]\n" + ViaRule, 3, 10, "has a password in its URL", "password_file")]
    [InlineData("[[route]]\nname = \"office\"\nchain = [\"socks5h://alice@127.0.0.1:1081\"]\n" + ViaRule, 3, 10, "names the user alice but has no password_file", "password_file")]
    [InlineData("[[route]]\nname = \"office\"\nchain = [{ url = \"socks5h://alice@127.0.0.1:1081\", password_file = \"missing.password\" }]\n" + ViaRule, 3, 68, "missing.password does not exist", "chmod 600")]
    [InlineData("[[route]]\nname = \"office\"\n" + ViaRule, 1, 1, "route \"office\" has no chain", "chain = [")]
    [InlineData("[[route]]\nname = \"office\"\nchain = [\"socks5h://127.0.0.1:1081\"]\n[[rule]]\naction = \"allow\"\nvia = \"office\"\n", 6, 1, "also allows every other command", "commands = [\"connect\"]")]
    [InlineData("[[route]]\nname = \"office\"\nchain = [\"socks5h://127.0.0.1:1081\"]\nmax_failure = 3\n" + ViaRule, 4, 1, "unknown key \"max_failure\" in [[route]]", "did you mean \"max_failures\"?")]
    [InlineData("[[rule]]\naction = \"allow\"\nsource = \"192.0.2.77\"\n", 3, 10, "192.0.2.77 is not an address of this host", "ip -brief address")]
    [InlineData("[[rule]]\naction = \"allow\"\nsource = [\"127.0.0.2\", \"127.0.0.3\"]\n", 3, 24, "two addresses of the same family", "one IPv4 and one IPv6")]
    [InlineData("[[rule]]\naction = \"deny\"\nsource = \"127.0.0.2\"\n", 3, 1, "is set on a deny rule", "action = \"allow\"")]
    public void Mistakes_are_located_errors_with_a_fix(string toml, int line, int column, string message, string fix)
    {
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(toml, ConfigPath));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Contains(fix, error.Fix, StringComparison.Ordinal);
        Assert.Equal((line, column), (error.Line, error.Column));
    }

    [Fact]
    public void A_rules_source_reads_one_address_per_family()
    {
        var rule = ConfigLoader.Parse("[[rule]]\naction = \"allow\"\nusers = [\"alice\"]\nsource = [\"127.0.0.2\", \"::1\"]\n", ConfigPath).Rules!.Rules[0];

        Assert.Equal([IPAddress.Parse("127.0.0.2"), IPAddress.IPv6Loopback], rule.Sources);
    }
}
