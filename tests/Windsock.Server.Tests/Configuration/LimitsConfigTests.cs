using Windsock.Server.Configuration;
using Xunit;

namespace Windsock.Server.Tests.Configuration;

/// <summary>The [limits] section: defaults equal to the former fixed caps, every key read, located errors.</summary>
public sealed class LimitsConfigTests
{
    private const string FileName = "/etc/windsock/windsock.toml";

    [Fact]
    public void Defaults_keep_the_former_fixed_caps_and_set_no_site_limit()
    {
        ClientLimits limits = ConfigLoader.Parse("", FileName).Limits;

        Assert.Equal(256, limits.UnauthenticatedPerSource);
        Assert.Equal(32, limits.BindPerSource);
        Assert.Equal(32_764, limits.GssapiTokenUnauthenticated);
        Assert.Equal(10, limits.Logins.FreeFailuresPerSource);
        Assert.Null(limits.Sessions);
        Assert.Null(limits.SessionsPerUser);
        Assert.Null(limits.BandwidthPerUserDown);
        Assert.False(limits.LimitsSessions);
    }

    [Fact]
    public void Every_key_is_read()
    {
        const string toml = """
            [limits]
            sessions = 5000
            sessions_per_user = 20
            sessions_per_source = 100
            sessions_per_rule = 1000
            connections_per_second_per_source = 2.5
            connection_burst_per_source = 10
            udp_datagrams_per_second = 500
            bandwidth_per_user_up = "1MiB/s"
            bandwidth_per_user_down = "10MB"
            bandwidth_per_rule_up = 65536
            bandwidth_per_rule_down = "500KB/s"
            source_prefix_ipv4 = 24
            source_prefix_ipv6 = 56
            unauthenticated_per_source = 64
            bind_per_source = 4
            gssapi_token_unauthenticated = 12000
            login_free_failures_per_source = 3
            login_free_failures_per_user = 2
            login_max_delay = "5m"
            """;

        ServerOptions options = ConfigLoader.Parse(toml, FileName);
        ClientLimits limits = options.Limits;

        Assert.Equal((5000, 20, 100, 1000), (limits.Sessions, limits.SessionsPerUser, limits.SessionsPerSource, limits.SessionsPerRule));
        Assert.Equal(2.5, limits.ConnectionsPerSecondPerSource);
        Assert.Equal(10, limits.ConnectionBurstPerSource);
        Assert.Equal(500, limits.UdpDatagramsPerSecond);
        Assert.Equal(1024 * 1024, limits.BandwidthPerUserUp);
        Assert.Equal(10_000_000, limits.BandwidthPerUserDown);
        Assert.Equal(65536, limits.BandwidthPerRuleUp);
        Assert.Equal(500_000, limits.BandwidthPerRuleDown);
        Assert.Equal((24, 56), (limits.SourcePrefixIPv4, limits.SourcePrefixIPv6));
        Assert.Equal((64, 4, 12000), (limits.UnauthenticatedPerSource, limits.BindPerSource, limits.GssapiTokenUnauthenticated));
        Assert.Equal((3, 2), (limits.Logins.FreeFailuresPerSource, limits.Logins.FreeFailuresPerUser));
        Assert.Equal(TimeSpan.FromMinutes(5), limits.Logins.MaxDelay);
        Assert.True(limits.LimitsSessions);
        Assert.Equal($"{FileName}:3:1", options.Origins["limits.sessions_per_user"]);
    }

    [Theory]
    [InlineData("[limits]\nsessions_per_user = 0\n", 2, 21, "outside 1..")]
    [InlineData("[limits]\nsessions_per_user = \"20\"\n", 2, 21, "not a string")]
    [InlineData("[limits]\nconnections_per_second_per_source = 0\n", 2, 37, "above 0")]
    [InlineData("[limits]\nbandwidth_per_user_down = \"100Mbit/s\"\n", 2, 27, "bits are not accepted")]
    [InlineData("[limits]\nbandwidth_per_user_down = \"fast\"\n", 2, 27, "is not a bandwidth")]
    [InlineData("[limits]\nbandwidth_per_rule_up = 100\n", 2, 25, "below the smallest limit")]
    [InlineData("[limits]\ngssapi_token_unauthenticated = 65535\n", 2, 32, "outside 1024..32764")]
    [InlineData("[limits]\nsource_prefix_ipv4 = 33\n", 2, 22, "outside 8..32")]
    [InlineData("[limits]\nlogin_max_delay = \"2h\"\n", 2, 19, "between 1s and 1h")]
    [InlineData("[limits]\nsesions_per_user = 3\n", 2, 1, "did you mean \"sessions_per_user\"")]
    public void Errors_name_the_exact_position(string toml, int line, int column, string messagePart)
    {
        ConfigException error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(toml, FileName));

        Assert.Contains(messagePart, error.ToString(), StringComparison.Ordinal);
        Assert.Equal((FileName, line, column), (error.FileName, error.Line, error.Column));
        Assert.NotEmpty(error.Fix);
    }
}

/// <summary>The [log] section: level names, the file path relative to the configuration, located errors.</summary>
public sealed class LogConfigTests
{
    private const string FileName = "/etc/windsock/windsock.toml";

    [Fact]
    public void Level_defaults_to_information_and_file_to_standard_output()
    {
        var log = ConfigLoader.Parse("", FileName).Log;

        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Information, log.Level);
        Assert.Null(log.File);
    }

    [Fact]
    public void Level_and_a_relative_file_are_read()
    {
        var log = ConfigLoader.Parse("[log]\nlevel = \"debug\"\nfile = \"logs/requests.log\"\n", FileName).Log;

        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Debug, log.Level);
        Assert.Equal("/etc/windsock/logs/requests.log", log.File);
    }

    [Theory]
    [InlineData("[log]\nlevel = \"verbose\"\n", 2, 9, "unknown log.level \"verbose\"")]
    [InlineData("[log]\nlevel = 2\n", 2, 9, "not an integer")]
    [InlineData("[log]\nfile = \"\"\n", 2, 8, "log.file is empty")]
    public void Errors_name_the_exact_position(string toml, int line, int column, string messagePart)
    {
        ConfigException error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(toml, FileName));

        Assert.Contains(messagePart, error.ToString(), StringComparison.Ordinal);
        Assert.Equal((FileName, line, column), (error.FileName, error.Line, error.Column));
    }
}
