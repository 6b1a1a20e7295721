using System.Net;
using Windsock.Server.Configuration;
using Xunit;

namespace Windsock.Server.Tests.Configuration;

/// <summary><c>server.proxy_protocol_from</c>: off by default, networks of balancers, never "everyone".</summary>
public class ProxyProtocolConfigTests
{
    [Fact]
    public void Off_by_default()
    {
        Assert.Empty(ConfigLoader.Parse("", "w.toml").ProxyProtocolFrom);
        Assert.Empty(ServerOptions.Default.ProxyProtocolFrom);
    }

    [Fact]
    public void Reads_balancer_networks()
    {
        var options = ConfigLoader.Parse("[server]\nproxy_protocol_from = [\"10.0.0.5\", \"fd00:1::/64\"]\n", "w.toml");
        Assert.Equal([IPNetwork.Parse("10.0.0.5/32"), IPNetwork.Parse("fd00:1::/64")], options.ProxyProtocolFrom);
        Assert.Equal("w.toml:2:1", options.Origins["server.proxy_protocol_from"]);
    }

    [Theory]
    [InlineData("0.0.0.0/0")]
    [InlineData("::/0")]
    [InlineData("10.0.0.0/7")]
    public void A_network_that_is_almost_everyone_is_an_error_with_a_fix(string network)
    {
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse($"[server]\nproxy_protocol_from = [\"10.0.0.5/32\", \"{network}\"]\n", "w.toml"));
        Assert.Equal(2, error.Line);
        Assert.Contains("could send a PROXY header and claim any client address", error.Message, StringComparison.Ordinal);
        Assert.Contains("balancers' own addresses", error.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_network_names_its_position()
    {
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("[server]\nproxy_protocol_from = [\"10.0.0.300\"]\n", "w.toml"));
        Assert.Equal(2, error.Line);
    }
}
