using System.Net;
using Windsock.Server.Configuration;
using Xunit;

namespace Windsock.Server.Tests.Configuration;

/// <summary>The [bind] section: values, defaults, and located errors in the loader's usual form.</summary>
public sealed class BindConfigTests
{
    private const string FileName = "/etc/windsock/windsock.toml";

    [Fact]
    public void Defaults_listen_where_the_client_came_in_any_port_strict_two_minutes()
    {
        BindOptions bind = ConfigLoader.Parse("", FileName).Bind;

        Assert.Null(bind.Address);
        Assert.Null(bind.PortRange);
        Assert.Equal(PeerCheck.Strict, bind.PeerCheck);
        Assert.Equal(TimeSpan.FromMinutes(2), bind.Timeout);
    }

    [Fact]
    public void Every_key_is_read()
    {
        const string toml = """
            [bind]
            address = "192.0.2.10"
            port_range = "40000-40100"
            peer_check = "loose"
            timeout = "30s"
            """;

        ServerOptions options = ConfigLoader.Parse(toml, FileName);

        Assert.Equal(IPAddress.Parse("192.0.2.10"), options.Bind.Address);
        Assert.Equal(new PortRange(40000, 40100), options.Bind.PortRange);
        Assert.Equal(PeerCheck.Loose, options.Bind.PeerCheck);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Bind.Timeout);
        Assert.Equal($"{FileName}:3:1", options.Origins["bind.port_range"]);
    }

    [Theory]
    [InlineData("bind.address = \"2001:db8::7\"\nbind.port_range = \"5000\"\n", "2001:db8::7", 5000, 5000)]
    [InlineData("bind = { address = \"0.0.0.0\", port_range = \"1-65535\" }\n", "0.0.0.0", 1, 65535)]
    public void Dotted_and_inline_forms_work(string toml, string address, int first, int last)
    {
        BindOptions bind = ConfigLoader.Parse(toml, FileName).Bind;

        Assert.Equal(IPAddress.Parse(address), bind.Address);
        Assert.Equal(new PortRange(first, last), bind.PortRange);
    }

    [Theory]
    [InlineData("[bind]\naddress = \"localhost\"\n", 2, 11, "bind.address: \"localhost\" is not an IP address")]
    [InlineData("[bind]\naddress = \"10.1\"\n", 2, 11, "dotted-quad")]
    [InlineData("[bind]\naddress = [\"10.0.0.1\"]\n", 2, 11, "not an array")]
    [InlineData("[bind]\nport_range = 40000\n", 2, 14, "not an integer")]
    [InlineData("[bind]\nport_range = \"40100-40000\"\n", 2, 14, "ends before it starts")]
    [InlineData("[bind]\nport_range = \"0-100\"\n", 2, 14, "is not a port range")]
    [InlineData("[bind]\nport_range = \"40000-70000\"\n", 2, 14, "is not a port range")]
    [InlineData("[bind]\nport_range = \"40000:40100\"\n", 2, 14, "is not a port range")]
    [InlineData("[bind]\nport_range = \"\"\n", 2, 14, "is not a port range")]
    [InlineData("[bind]\npeer_check = \"strickt\"\n", 2, 14, "unknown bind.peer_check \"strickt\"")]
    [InlineData("[bind]\npeer_check = true\n", 2, 14, "not a boolean")]
    [InlineData("[bind]\ntimeout = \"2h\"\n", 2, 11, "between 100ms and 1h")]
    [InlineData("[bind]\ntimeout = \"0s\"\n", 2, 11, "between 100ms and 1h")]
    [InlineData("[bind]\ntimeout = \"2 m\"\n", 2, 11, "unknown unit")]
    [InlineData("[bind]\nport = 1\n", 2, 1, "unknown key \"port\" in [bind]")]
    [InlineData("[bind]\nlisten = [\"127.0.0.1:1\"]\n", 2, 1, "unknown key \"listen\" in [bind]")]
    [InlineData("[bnid]\n", 1, 2, "unknown section [bnid]")]
    public void Errors_name_the_exact_position(string toml, int line, int column, string messagePart)
    {
        ConfigException error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(toml, FileName));

        Assert.Contains(messagePart, error.Message, StringComparison.Ordinal);
        Assert.Equal((FileName, line, column), (error.FileName, error.Line, error.Column));
        Assert.NotEmpty(error.Fix);
    }

    [Theory]
    [InlineData("[bind]\nlisten = [\"127.0.0.1:1\"]\n", "listen belongs in [server]")]
    [InlineData("[bnid]\n", "did you mean [bind]?")]
    [InlineData("[bind]\npeercheck = \"loose\"\n", "did you mean \"peer_check\"?")]
    [InlineData("[bind]\npeer_check = \"strickt\"\n", "did you mean \"strict\"?")]
    [InlineData("[bind]\nport_range = \"40100-40000\"\n", "\"40000-40100\"")]
    public void Fixes_suggest_the_likely_intent(string toml, string fixPart)
    {
        ConfigException error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(toml, FileName));

        Assert.Contains(fixPart, error.Fix, StringComparison.Ordinal);
    }
}
