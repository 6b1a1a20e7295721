using System.Net;
using Windsock.Policy;
using Windsock.Server.Configuration;
using Xunit;

namespace Windsock.Server.Tests.Configuration;

public sealed class ConfigLoaderTests
{
    private const string FileName = "/etc/windsock/windsock.toml";

    private static ConfigException Fails(string toml) =>
        Assert.Throws<ConfigException>(() => ConfigLoader.Parse(toml, FileName));

    [Fact]
    public void Empty_file_keeps_every_default()
    {
        ServerOptions options = ConfigLoader.Parse("", FileName);

        Assert.Equal(ServerOptions.Default with { Origins = options.Origins }, options);
        Assert.Empty(options.Origins);
    }

    [Fact]
    public void Full_file_sets_every_key()
    {
        const string toml = """
            [server]
            listen = ["0.0.0.0:1080", "[::]:0", "192.0.2.1:65535"]
            allowed_clients = ["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"]
            log_format = "json"
            negotiation_timeout = "500ms"
            connect_timeout = 20
            idle_timeout = "5m"
            shutdown_grace = "0s"
            relay_buffer_size = 4096
            allow_open_proxy = true

            [auth]
            users_file = "/srv/windsock/users"
            pam_service = "windsock"
            """;

        ServerOptions options = ConfigLoader.Parse(toml, FileName);

        Assert.Equal([IPEndPoint.Parse("0.0.0.0:1080"), IPEndPoint.Parse("[::]:0"), IPEndPoint.Parse("192.0.2.1:65535")], options.Listen);
        Assert.Equal([IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("2001:db8::/32"), IPNetwork.Parse("192.0.2.7/32")], options.AllowedClients);
        Assert.Equal(LogFormat.Json, options.LogFormat);
        Assert.Equal(TimeSpan.FromMilliseconds(500), options.NegotiationTimeout);
        Assert.Equal(TimeSpan.FromSeconds(20), options.ConnectTimeout);
        Assert.Equal(TimeSpan.FromMinutes(5), options.IdleTimeout);
        Assert.Equal(TimeSpan.Zero, options.ShutdownGrace);
        Assert.Equal(4096, options.RelayBufferSize);
        Assert.True(options.AllowOpenProxy);
        Assert.Equal("/srv/windsock/users", options.UsersFile);
        Assert.Equal("windsock", options.PamService);
        Assert.True(options.RequiresPassword);
    }

    [Fact]
    public void Bare_ipv6_address_is_a_single_host()
    {
        ServerOptions options = ConfigLoader.Parse("[server]\nallowed_clients = [\"2001:db8::1\"]\n", FileName);

        Assert.Equal([IPNetwork.Parse("2001:db8::1/128")], options.AllowedClients);
    }

    [Fact]
    public void Origins_point_at_each_key()
    {
        const string toml = "# comment\n[server]\nlisten = [\"127.0.0.1:1\"]\n  idle_timeout = \"1h\"\n\n[auth]\nusers_file = \"/u\"\n";

        ServerOptions options = ConfigLoader.Parse(toml, FileName);

        Assert.Equal(
            new Dictionary<string, string>
            {
                ["server.listen"] = $"{FileName}:3:1",
                ["server.idle_timeout"] = $"{FileName}:4:3",
                ["auth.users_file"] = $"{FileName}:7:1",
            },
            options.Origins);
    }

    [Fact]
    public void Dotted_keys_and_inline_tables_mean_the_same_as_sections()
    {
        const string toml = "server.log_format = \"json\"\nauth = { users_file = \"/u\" }\n";

        ServerOptions options = ConfigLoader.Parse(toml, FileName);

        Assert.Equal(LogFormat.Json, options.LogFormat);
        Assert.Equal("/u", options.UsersFile);
        Assert.Equal($"{FileName}:1:1", options.Origins["server.log_format"]);
        Assert.Equal($"{FileName}:2:10", options.Origins["auth.users_file"]);
    }

    [Theory]
    [InlineData("windsock")]
    [InlineData("sshd")]
    [InlineData("windsock-proxy_2.0")]
    public void Pam_service_takes_a_service_file_name_and_requires_passwords(string name)
    {
        ServerOptions options = ConfigLoader.Parse($"[auth]\npam_service = \"{name}\"\n", FileName);

        Assert.Equal(name, options.PamService);
        Assert.Null(options.UsersFile);
        Assert.True(options.RequiresPassword);
        Assert.Equal($"{FileName}:2:1", options.Origins["auth.pam_service"]);
    }

    [Fact]
    public void Without_users_file_or_pam_service_no_password_is_required()
    {
        Assert.False(ConfigLoader.Parse("[auth]\ngroups_file = \"/g\"\n", FileName).RequiresPassword);
    }

    [Fact]
    public void Relative_users_file_resolves_against_the_config_folder()
    {
        using var temp = new TempDirectory();
        string config = temp.File("windsock.toml");

        ServerOptions options = ConfigLoader.Parse("[auth]\nusers_file = \"sub/users\"\n", config);

        Assert.Equal(Path.Combine(temp.Path, "sub", "users"), options.UsersFile);
    }

    [Fact]
    public void Relative_users_file_with_dot_dot_is_normalised()
    {
        ServerOptions options = ConfigLoader.Parse("[auth]\nusers_file = \"../users\"\n", "/etc/windsock/conf.d/windsock.toml");

        Assert.Equal("/etc/windsock/users", options.UsersFile);
    }

    [Theory]
    // TOML syntax errors come from Tomlyn, located.
    [InlineData("[server\nlisten = []\n", 1, 8, "invalid TOML")]
    [InlineData("[server]\nlog_format = \"text\nx = 1\n", 2, 19, "invalid TOML")]
    [InlineData("[server]\nlog_format = \"text\"\nlog_format = \"json\"\n", 3, 1, "already defined")]
    [InlineData("[server]\n[server]\n", 2, 1, "already defined")]
    [InlineData("[server]\nrelay_buffer_size = 99999999999999999999\n", 2, 21, "invalid TOML")]
    // Unknown sections and keys.
    [InlineData("[sever]\n", 1, 2, "unknown section [sever]")]
    [InlineData("[server.tls]\n", 1, 2, "unknown section [server.tls]")]
    [InlineData("[[server]]\n", 1, 3, "array of tables")]
    [InlineData("listen = [\"127.0.0.1:1\"]\n", 1, 1, "outside any section")]
    [InlineData("foo = 1\n", 1, 1, "unknown key \"foo\"")]
    [InlineData("server = 1\n", 1, 10, "must be a section")]
    [InlineData("foo.bar = 1\n", 1, 1, "unknown section \"foo\"")]
    [InlineData("[server]\n\n  lisen = []\n", 3, 3, "unknown key \"lisen\" in [server]")]
    [InlineData("[server]\nlisten.x = 1\n", 2, 1, "no sub-key")]
    [InlineData("[server]\nusers_file = \"/u\"\n", 2, 1, "unknown key \"users_file\"")]
    // Wrong types, reported at the value.
    [InlineData("[server]\nlisten = \"127.0.0.1:1080\"\n", 2, 10, "not a single string")]
    [InlineData("[server]\nlisten = 1080\n", 2, 10, "must be an array of strings, not an integer")]
    [InlineData("[server]\nlisten = [\"127.0.0.1:1\", 1080]\n", 2, 26, "items must be strings")]
    [InlineData("[server]\nallow_open_proxy = \"yes\"\n", 2, 20, "must be a boolean, not a string")]
    [InlineData("[server]\nrelay_buffer_size = \"64k\"\n", 2, 21, "must be a whole number")]
    [InlineData("[server]\nidle_timeout = 1.5\n", 2, 16, "not a float")]
    [InlineData("[server]\nlog_format = 1\n", 2, 14, "not an integer")]
    [InlineData("[auth]\nusers_file = [\"/u\"]\n", 2, 14, "not an array")]
    // Bad addresses and networks, reported at the array item.
    [InlineData("[server]\nlisten = [\"127.0.0.1:1\", \"localhost:1080\"]\n", 2, 26, "not an IP address")]
    [InlineData("[server]\nlisten = [\"127.0.0.1\"]\n", 2, 11, "has no port")]
    [InlineData("[server]\nlisten = [\"::1:1080\"]\n", 2, 11, "without brackets")]
    [InlineData("[server]\nlisten = [\"[::1]\"]\n", 2, 11, "has no port")]
    [InlineData("[server]\nlisten = [\"[127.0.0.1]:1\"]\n", 2, 11, "IPv4 address in brackets")]
    [InlineData("[server]\nlisten = [\"127.0.0.1:65536\"]\n", 2, 11, "invalid port")]
    [InlineData("[server]\nlisten = [\"127.0.0.1:-1\"]\n", 2, 11, "invalid port")]
    [InlineData("[server]\nlisten = [\"127.1:1080\"]\n", 2, 11, "dotted-quad")]
    [InlineData("[server]\nlisten = [\"127.0.0.1:1\", \"127.0.0.1:1\"]\n", 2, 26, "twice")]
    [InlineData("[server]\nlisten = []\n", 2, 10, "listen nowhere")]
    [InlineData("[server]\nallowed_clients = []\n", 2, 19, "every client would be refused")]
    [InlineData("[server]\nallowed_clients = [\"10.0.0.1/8\"]\n", 2, 20, "bits set after the /8 prefix")]
    [InlineData("[server]\nallowed_clients = [\"10.0.0.0/33\"]\n", 2, 20, "invalid prefix length")]
    [InlineData("[server]\nallowed_clients = [\"::/129\"]\n", 2, 20, "invalid prefix length")]
    [InlineData("[server]\nallowed_clients = [\"10.0.0.0/\"]\n", 2, 20, "invalid prefix length")]
    [InlineData("[server]\nallowed_clients = [\"010.0.0.0/8\"]\n", 2, 20, "dotted-quad")]
    [InlineData("[server]\nallowed_clients = [\"example.com\"]\n", 2, 20, "not an IP address")]
    [InlineData("[server]\nallowed_clients = [\"[::1]/128\"]\n", 2, 20, "brackets")]
    // Out-of-range values.
    [InlineData("[server]\nrelay_buffer_size = 4095\n", 2, 21, "outside 4096..1048576")]
    [InlineData("[server]\nrelay_buffer_size = 1048577\n", 2, 21, "outside 4096..1048576")]
    [InlineData("[server]\nnegotiation_timeout = \"0s\"\n", 2, 23, "between 100ms and 10m")]
    [InlineData("[server]\nconnect_timeout = \"11m\"\n", 2, 19, "between 100ms and 10m")]
    [InlineData("[server]\nidle_timeout = 0\n", 2, 16, "between 1s and 168h")]
    [InlineData("[server]\nidle_timeout = -5\n", 2, 16, "negative")]
    [InlineData("[server]\nshutdown_grace = \"2h\"\n", 2, 18, "between 0s and 1h")]
    [InlineData("[server]\nshutdown_grace = \"10\"\n", 2, 18, "no unit")]
    [InlineData("[server]\nshutdown_grace = \"10 s\"\n", 2, 18, "unknown unit")]
    [InlineData("[server]\nlog_format = \"JSON\"\n", 2, 14, "unknown server.log_format")]
    [InlineData("[auth]\nusers_file = \"\"\n", 2, 14, "is empty")]
    [InlineData("[auth]\nusers_file = \"~/users\"\n", 2, 14, "not expanded")]
    [InlineData("[auth]\npam_service = \"\"\n", 2, 15, "pam_service is empty")]
    [InlineData("[auth]\npam_service = \"../shadow\"\n", 2, 15, "not a PAM service name")]
    [InlineData("[auth]\npam_service = \"/etc/pam.d/windsock\"\n", 2, 15, "not a PAM service name")]
    [InlineData("[auth]\npam_service = \"wind sock\"\n", 2, 15, "not a PAM service name")]
    [InlineData("[auth]\npam_service = \".hidden\"\n", 2, 15, "not a PAM service name")]
    [InlineData("[auth]\npam_service = true\n", 2, 15, "must be a PAM service name in quotes, not a boolean")]
    [InlineData("[server]\npam_service = \"windsock\"\n", 2, 1, "unknown key \"pam_service\" in [server]")]
    public void Errors_name_the_exact_position(string toml, int line, int column, string messagePart)
    {
        ConfigException error = Fails(toml);

        Assert.Contains(messagePart, error.Message, StringComparison.Ordinal);
        Assert.Equal((FileName, line, column), (error.FileName, error.Line, error.Column));
        Assert.NotEmpty(error.Fix);
        Assert.StartsWith($"{FileName}:{line}:{column}: error: ", error.ToString(), StringComparison.Ordinal);
        Assert.Contains(". fix: ", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[server]\nlisten_on = []\n", "did you mean \"listen\"?")]
    [InlineData("[server]\nallowed-clients = []\n", "did you mean \"allowed_clients\"?")]
    [InlineData("[server]\nidel_timeout = 1\n", "did you mean \"idle_timeout\"?")]
    [InlineData("[server]\nidle = 1\n", "did you mean \"idle_timeout\"?")]
    [InlineData("[auth]\nusers = \"/u\"\n", "did you mean \"users_file\"?")]
    [InlineData("[auth]\npam_servise = \"windsock\"\n", "did you mean \"pam_service\"?")]
    [InlineData("[server]\npam_service = \"windsock\"\n", "pam_service belongs in [auth]")]
    [InlineData("[auth]\npam_service = \"pam.d/windsock\"\n", "the name of the service's file in /etc/pam.d")]
    [InlineData("[sevrer]\n", "did you mean [server]?")]
    [InlineData("[Auth]\n", "did you mean [auth]?")]
    [InlineData("[server]\nusers_file = \"/u\"\n", "users_file belongs in [auth]")]
    [InlineData("[listen]\n", "\"listen\" is a key of [server]")]
    [InlineData("listen = []\n", "move it below the [server] line")]
    [InlineData("[server]\nlog_format = \"jsno\"\n", "did you mean \"json\"?")]
    [InlineData("[server]\nlisten = [\"10.0.0.1\"]\n", "\"10.0.0.1:1080\"")]
    [InlineData("[server]\nallowed_clients = [\"10.0.0.1/8\"]\n", "write \"10.0.0.0/8\" for the network or \"10.0.0.1/32\" for the single host")]
    [InlineData("[server]\nidle_timeout = \"1.5h\"\n", "smaller unit")]
    public void Fixes_suggest_the_likely_intent(string toml, string fixPart)
    {
        ConfigException error = Fails(toml);

        Assert.Contains(fixPart, error.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_key_without_a_close_match_lists_the_known_keys()
    {
        ConfigException error = Fails("[server]\nbananas = 1\n");

        Assert.DoesNotContain("did you mean", error.Fix, StringComparison.Ordinal);
        Assert.Contains("listen, allowed_clients", error.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void The_first_problem_in_the_file_is_reported()
    {
        ConfigException error = Fails("[server]\nlisten = [\"bad\"]\nlog_format = \"bad\"\n[bad]\n");

        Assert.Equal(2, error.Line);
    }

    [Fact]
    public void Load_reads_the_file_and_uses_its_path_in_origins()
    {
        using var temp = new TempDirectory();
        string path = temp.File("windsock.toml");
        File.WriteAllText(path, "\uFEFF[server]\nlog_format = \"json\"\n");

        ServerOptions options = ConfigLoader.Load(path);

        Assert.Equal(LogFormat.Json, options.LogFormat);
        Assert.Equal($"{path}:2:1", options.Origins["server.log_format"]);
    }

    [Fact]
    public void Load_reports_a_missing_file()
    {
        using var temp = new TempDirectory();
        string path = temp.File("nope.toml");

        ConfigException error = Assert.Throws<ConfigException>(() => ConfigLoader.Load(path));

        Assert.Equal(path, error.FileName);
        Assert.Equal(0, error.Line);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
        Assert.StartsWith($"{path}: error: ", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_reports_a_missing_folder()
    {
        using var temp = new TempDirectory();

        ConfigException error = Assert.Throws<ConfigException>(() => ConfigLoader.Load(temp.File("no/such.toml")));

        Assert.Contains("folder", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_reports_a_directory()
    {
        using var temp = new TempDirectory();

        ConfigException error = Assert.Throws<ConfigException>(() => ConfigLoader.Load(temp.Path));

        Assert.Contains("is a directory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_reports_an_unreadable_file()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("needs Unix file modes");
            return;
        }

        if (Environment.UserName == "root")
        {
            // Root reads through any mode bits, so the case cannot be produced there.
            Assert.Skip("needs a non-root user");
        }

        using var temp = new TempDirectory();
        string path = temp.File("windsock.toml");
        File.WriteAllText(path, "");
        File.SetUnixFileMode(path, UnixFileMode.None);

        ConfigException error = Assert.Throws<ConfigException>(() => ConfigLoader.Load(path));

        Assert.Contains("permission denied", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_reports_invalid_utf8_with_its_line()
    {
        using var temp = new TempDirectory();
        string path = temp.File("windsock.toml");
        File.WriteAllBytes(path, [.. "[server]\n# caf"u8, 0xE9, .. "\n"u8]);

        ConfigException error = Assert.Throws<ConfigException>(() => ConfigLoader.Load(path));

        Assert.Equal((2, 6), (error.Line, error.Column));
        Assert.Contains("UTF-8", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_shipped_example_loads_and_is_safe()
    {
        string example = Path.Combine(RepositoryRoot(), "examples", "windsock.toml");

        ServerOptions options = ConfigLoader.Load(example);

        Assert.Null(OpenProxyGuard.Check(options));
        // Addresses of this host are shown commented out: no value is safe to copy (a wrong one breaks UDP or BIND).
        // The groups file and denial hooks are shown commented out: they need files and mail set up first.
        // PAM is shown commented out: it lets every system account in, which must be a decision of its own.
        // GSSAPI needs a realm and a keytab first. The admin listener is off by default. The account to
        // switch to needs to exist first.
        string[] commentedOut = ["server.user", "server.group", "admin.listen", "admin.token_file", "udp.advertised_address", "bind.address", "auth.groups_file", "auth.pam_service", "access.notify_denied", "gssapi.keytab", "gssapi.service_principal", "gssapi.protection",
            // The site's own limits have no default value (off until set), and a log file needs its folder first.
            "limits.sessions", "limits.sessions_per_user", "limits.sessions_per_source", "limits.sessions_per_rule",
            "limits.connections_per_second_per_source", "limits.connection_burst_per_source", "limits.udp_datagrams_per_second",
            "limits.bandwidth_per_user_up", "limits.bandwidth_per_user_down", "limits.bandwidth_per_rule_up", "limits.bandwidth_per_rule_down", "log.file", "outside.ipv4", "outside.ipv6"];
        // [[rule]] keys are not in ConfigSchema.Keys nor in the origins (a rule carries its own location):
        // every key of the schema is written out or commented out.
        Assert.Equal(ConfigSchema.Keys.Values.Sum(k => k.Count) - commentedOut.Length, options.Origins.Count);
        Assert.All(commentedOut, key => Assert.DoesNotContain(key, options.Origins.Keys));

        // The one rule is the embedded default's policy: loopback clients, the only ones the example
        // admits, go anywhere.
        AccessRule rule = Assert.Single(options.Rules!.Rules);
        AccessRule loopbackOnly = Assert.Single(RuleSet.LoopbackOnly.Rules);
        Assert.Equal((RuleAction.Allow, loopbackOnly.From!.ToString()), (rule.Action, rule.From!.ToString()));
        Assert.Equal(options.AllowedClients.Select(n => n.ToString()), rule.From.Networks.Select(n => n.ToString()));
        Assert.True(rule is { Users: null, Methods: null, Versions: null, Commands: null, FromPorts: null, To: null, Ports: null, Ident: IdentMode.Off });
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Windsock.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("repository root not found");
    }
}
