using System.Net;
using Windsock.Server.Configuration;
using Xunit;

namespace Windsock.Server.Tests.Configuration;

public sealed class OpenProxyGuardTests
{
    private const string Loopback4 = "127.0.0.1:1080";
    private const string Loopback6 = "[::1]:1080";
    private const string Any4 = "0.0.0.0:1080";
    private const string Any6 = "[::]:1080";
    private const string Lan = "192.0.2.10:1080";
    private const string Mapped = "[::ffff:127.0.0.1]:1080";

    public static TheoryData<string[], string[], bool, bool, bool, bool> Cases => new()
    {
        // listen, allowed_clients, explicitly configured?, users file?, allow_open_proxy, refused?
        { [Loopback4, Loopback6], ["127.0.0.0/8", "::1/128"], false, false, false, false },
        { [Loopback4], ["0.0.0.0/0"], true, false, false, false },                  // only local programs can reach it
        { [Mapped], ["0.0.0.0/0"], true, false, false, false },
        { [Any4], ["127.0.0.0/8", "::1/128"], false, false, false, true },          // defaults: everyone else turned away
        { [Any4], ["127.0.0.0/8", "::1/128"], true, false, false, false },          // said on purpose: pointless but safe
        { [Any4], ["127.0.0.1/32"], true, false, false, false },
        { [Any6], ["::1/128", "::ffff:127.0.0.0/104"], true, false, false, false },
        { [Any4], ["0.0.0.0/0"], true, false, false, true },
        { [Any6], ["::/0"], true, false, false, true },
        { [Lan], ["10.0.0.0/8"], true, false, false, false },                       // the classic site proxy
        { [Lan], ["10.0.0.0/8"], false, false, false, true },
        { [Loopback4, Lan], ["127.0.0.0/8", "192.0.2.0/24"], true, false, false, false },
        { [Any4], ["127.0.0.0/7"], true, false, false, true },                      // /7 reaches beyond 127/8
        { [Any4], ["0.0.0.0/1"], true, false, false, true },
        { [Any4], ["::/0"], true, false, false, true },
        { [Any4], ["::ffff:0.0.0.0/96"], true, false, false, true },                // all of IPv4, mapped
        { [Any6], ["2001:db8::/32"], true, false, false, false },
        { [Any6], ["2000::/3"], true, false, false, true },
        { [Any4], ["0.0.0.0/0"], true, true, false, false },                        // passwords required
        { [Any4], ["0.0.0.0/0"], true, false, true, false },                        // consent given
        { [Any4], ["127.0.0.0/8"], false, false, true, false },
        { [Any4], ["0.0.0.0/0"], true, true, true, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Refuses_only_the_open_combination(string[] listen, string[] clients, bool clientsExplicit, bool usersFile, bool allowOpenProxy, bool refused)
    {
        var options = new ServerOptions
        {
            Listen = [.. listen.Select(IPEndPoint.Parse)],
            AllowedClients = [.. clients.Select(c => IPNetwork.Parse(c))],
            UsersFile = usersFile ? "/etc/windsock/users" : null,
            AllowOpenProxy = allowOpenProxy,
            Origins = clientsExplicit ? new Dictionary<string, string> { ["server.allowed_clients"] = "w.toml:2:1" } : new Dictionary<string, string>(),
        };

        ConfigException? error = OpenProxyGuard.Check(options);

        Assert.Equal(refused, error is not null);
    }

    [Fact]
    public void Defaults_on_a_public_listener_explain_how_to_name_the_clients()
    {
        var options = new ServerOptions { Listen = [IPEndPoint.Parse(Any4)], Origins = new Dictionary<string, string> { ["server.listen"] = "--listen" } };

        ConfigException error = Assert.IsType<ConfigException>(OpenProxyGuard.Check(options));

        Assert.Contains("server.allowed_clients is not configured", error.Message, StringComparison.Ordinal);
        Assert.Contains("10.0.0.0/8", error.Fix, StringComparison.Ordinal);
        Assert.Contains("--users", error.Fix, StringComparison.Ordinal);
        Assert.Contains("server.allow_open_proxy = true", error.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pam_service_counts_as_requiring_passwords()
    {
        var options = new ServerOptions
        {
            Listen = [IPEndPoint.Parse(Any4)],
            AllowedClients = [IPNetwork.Parse("0.0.0.0/0")],
            PamService = "windsock",
            Origins = new Dictionary<string, string> { ["server.allowed_clients"] = "w.toml:2:1" },
        };

        Assert.Null(OpenProxyGuard.Check(options));
        Assert.NotNull(OpenProxyGuard.Check(options with { PamService = null }));
    }

    [Fact]
    public void The_fix_names_pam_as_a_way_to_require_passwords()
    {
        ServerOptions options = ConfigLoader.Parse("[server]\nallowed_clients = [\"0.0.0.0/0\"]\nlisten = [\"0.0.0.0:1080\"]\n", "w.toml");

        ConfigException error = Assert.IsType<ConfigException>(OpenProxyGuard.Check(options));

        Assert.Contains("auth.pam_service", error.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void The_embedded_default_is_safe()
    {
        Assert.Null(OpenProxyGuard.Check(ServerOptions.Default));
    }

    [Fact]
    public void The_error_points_at_the_listen_key_in_the_file()
    {
        ServerOptions options = ConfigLoader.Parse("[server]\nallowed_clients = [\"0.0.0.0/0\"]\n\nlisten = [\"0.0.0.0:1080\"]\n", "w.toml");

        ConfigException error = Assert.IsType<ConfigException>(OpenProxyGuard.Check(options));

        Assert.Equal(("w.toml", 4, 1), (error.FileName, error.Line, error.Column));
        Assert.Contains("w.toml:4:1", error.Message, StringComparison.Ordinal);
        Assert.Contains("w.toml:2:1", error.Message, StringComparison.Ordinal);
        Assert.Contains("0.0.0.0:1080 (every interface)", error.Message, StringComparison.Ordinal);
        Assert.Contains("auth.users_file", error.Fix, StringComparison.Ordinal);
        Assert.Contains("--users", error.Fix, StringComparison.Ordinal);
        Assert.Contains("server.allowed_clients", error.Fix, StringComparison.Ordinal);
        Assert.Contains("server.allow_open_proxy = true", error.Fix, StringComparison.Ordinal);
        Assert.StartsWith("w.toml:4:1: error: refusing to run an open proxy", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_error_names_a_flag_when_listen_came_from_one()
    {
        var options = new ServerOptions
        {
            Listen = [IPEndPoint.Parse(Any4)],
            AllowedClients = [IPNetwork.Parse("0.0.0.0/0")],
            Origins = new Dictionary<string, string> { ["server.listen"] = "--listen", ["server.allowed_clients"] = "C:\\windsock\\w.toml:3:1" },
        };

        ConfigException error = Assert.IsType<ConfigException>(OpenProxyGuard.Check(options));

        Assert.Equal(("--listen", 0), (error.FileName, error.Line));
        Assert.StartsWith("--listen: error: ", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("C:\\windsock\\w.toml:3:1", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("w.toml:4:1", "w.toml", 4, 1)]
    [InlineData("C:\\w.toml:12:30", "C:\\w.toml", 12, 30)]
    public void Origins_parse_from_the_right(string origin, string file, int line, int column)
    {
        Assert.True(ConfigOrigin.TryParse(origin, out string f, out int l, out int c));
        Assert.Equal((file, line, column), (f, l, c));
    }

    [Theory]
    [InlineData("--listen")]
    [InlineData("w.toml:4")]
    [InlineData("w.toml:x:1")]
    [InlineData("w.toml:0:1")]
    public void Origins_without_a_position_stay_whole(string origin)
    {
        Assert.False(ConfigOrigin.TryParse(origin, out string file, out _, out _));
        Assert.Equal(origin, file);
    }
}
