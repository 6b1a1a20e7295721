using System.Net;
using Windsock.Server.Configuration;
using Xunit;

namespace Windsock.Server.Tests.Configuration;

/// <summary>The [udp] section: its keys, their defaults, and located errors.</summary>
public sealed class UdpConfigTests
{
    private const string FileName = "/etc/windsock/windsock.toml";

    [Fact]
    public void Defaults_advertise_the_reached_address_idle_two_minutes_any_port()
    {
        var udp = ConfigLoader.Parse("", FileName).Udp;
        Assert.Null(udp.AdvertisedAddress);
        Assert.Equal(TimeSpan.FromMinutes(2), udp.IdleTimeout);
        Assert.Null(udp.PortRange);
    }

    [Fact]
    public void Every_key_is_read()
    {
        var options = ConfigLoader.Parse("""
            [udp]
            advertised_address = "203.0.113.10"
            idle_timeout = "90s"
            port_range = "40000-40100"
            """, FileName);

        Assert.Equal(IPAddress.Parse("203.0.113.10"), options.Udp.AdvertisedAddress);
        Assert.Equal(TimeSpan.FromSeconds(90), options.Udp.IdleTimeout);
        Assert.Equal(new PortRange(40000, 40100), options.Udp.PortRange);
        Assert.Equal(101, options.Udp.PortRange!.Value.Count);
        Assert.Equal(TimeSpan.FromHours(1), options.IdleTimeout); // [server] idle_timeout is a different key
    }

    [Theory]
    [InlineData("udp.advertised_address = \"2001:db8::10\"\nudp.port_range = \"5000\"\n")]
    [InlineData("udp = { advertised_address = \"2001:db8::10\", port_range = \"5000-5000\" }\n")]
    public void Dotted_and_inline_forms_mean_the_same(string toml)
    {
        var udp = ConfigLoader.Parse(toml, FileName).Udp;
        Assert.Equal(IPAddress.Parse("2001:db8::10"), udp.AdvertisedAddress);
        Assert.Equal(new PortRange(5000, 5000), udp.PortRange);
    }

    [Theory]
    [InlineData("[udp]\nadvertised_address = \"nat.example.org\"\n", 2, 22, "is not an IP address")]
    [InlineData("[udp]\nadvertised_address = \"10.1\"\n", 2, 22, "dotted-quad")]
    [InlineData("[udp]\nadvertised_address = \"0.0.0.0\"\n", 2, 22, "unspecified address")]
    [InlineData("[udp]\nadvertised_address = \"::\"\n", 2, 22, "unspecified address")]
    [InlineData("[udp]\nadvertised_address = 1\n", 2, 22, "not an integer")]
    [InlineData("[udp]\nidle_timeout = \"0s\"\n", 2, 16, "between 1s and 24h")]
    [InlineData("[udp]\nidle_timeout = \"2d\"\n", 2, 16, "unknown unit")]
    [InlineData("[udp]\nport_range = \"40100-40000\"\n", 2, 14, "ends before it starts")]
    [InlineData("[udp]\nport_range = \"0-10\"\n", 2, 14, "not a port range")]
    [InlineData("[udp]\nport_range = \"40000-70000\"\n", 2, 14, "not a port range")]
    [InlineData("[udp]\nport_range = \"a-b\"\n", 2, 14, "not a port range")]
    [InlineData("[udp]\nport_range = 40000\n", 2, 14, "not an integer")]
    [InlineData("[udp]\nadvertized_address = \"192.0.2.1\"\n", 2, 1, "did you mean \"advertised_address\"")]
    [InlineData("[upd]\n", 1, 2, "did you mean [udp]")]
    public void Bad_values_are_located(string toml, int line, int column, string text)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(toml, FileName));
        Assert.Contains(text, e.ToString(), StringComparison.Ordinal);
        Assert.Contains($"{FileName}:{line}:{column}:", e.ToString(), StringComparison.Ordinal);
    }
}
