using System.Net;
using System.Net.Sockets;
using CsCheck;
using Windsock.Protocol.Tests.Support;
using Xunit;

namespace Windsock.Protocol.Tests;

public class SocksEndpointTests
{
    [Theory]
    [InlineData("::ffff:1.2.3.4", "1.2.3.4")]
    [InlineData("::ffff:0.0.0.0", "0.0.0.0")]
    [InlineData("::ffff:255.255.255.255", "255.255.255.255")]
    [InlineData("::ffff:127.0.0.1", "127.0.0.1")]
    public void Ipv4_mapped_ipv6_becomes_ipv4(string mapped, string ipv4)
    {
        var endpoint = SocksEndpoint.FromAddress(IPAddress.Parse(mapped), 80);
        Assert.Equal(AddressType.IPv4, endpoint.Type);
        Assert.Equal(AddressFamily.InterNetwork, endpoint.Address!.AddressFamily);
        Assert.Equal(IPAddress.Parse(ipv4), endpoint.Address);
        Assert.Equal(SocksEndpoint.FromAddress(IPAddress.Parse(ipv4), 80), endpoint);
        Assert.Equal(7, endpoint.Socks5EncodedLength);
    }

    [Fact]
    public void Ipv4_compatible_and_other_ipv6_addresses_stay_ipv6()
    {
        Assert.Equal(AddressType.IPv6, SocksEndpoint.FromAddress(IPAddress.Parse("::1.2.3.4"), 80).Type);
        Assert.Equal(AddressType.IPv6, SocksEndpoint.FromAddress(IPAddress.IPv6Loopback, 80).Type);
        Assert.Equal(AddressType.IPv6, SocksEndpoint.FromAddress(IPAddress.Parse("64:ff9b::1.2.3.4"), 80).Type);
    }

    [Fact]
    public void Ipv4_mapped_endpoint_becomes_ipv4()
    {
        var endpoint = SocksEndpoint.FromEndPoint(new IPEndPoint(IPAddress.Parse("::ffff:10.0.0.1"), 65535));
        Assert.Equal(AddressType.IPv4, endpoint.Type);
        Assert.Equal("10.0.0.1:65535", endpoint.ToString());
    }

    [Theory]
    [InlineData("::1", 80, "[::1]:80")]
    [InlineData("::", 0, "[::]:0")]
    [InlineData("2001:db8::1", 443, "[2001:db8::1]:443")]
    [InlineData("1.2.3.4", 80, "1.2.3.4:80")]
    [InlineData("0.0.0.0", 0, "0.0.0.0:0")]
    [InlineData("255.255.255.255", 65535, "255.255.255.255:65535")]
    [InlineData("::ffff:1.2.3.4", 80, "1.2.3.4:80")]
    public void Address_to_string(string address, ushort port, string expected)
    {
        Assert.Equal(expected, SocksEndpoint.FromAddress(IPAddress.Parse(address), port).ToString());
    }

    [Theory]
    [InlineData("host", 80, "host:80")]
    [InlineData("example.com", 65535, "example.com:65535")]
    [InlineData("a", 0, "a:0")]
    public void Host_to_string(string host, ushort port, string expected)
    {
        Assert.Equal(expected, SocksEndpoint.FromHost(host, port).ToString());
    }

    [Fact]
    public void Host_endpoint_has_a_host_and_no_address()
    {
        var endpoint = SocksEndpoint.FromHost("example.com", 443);
        Assert.True(endpoint.IsHostName);
        Assert.Equal(AddressType.DomainName, endpoint.Type);
        Assert.Equal("example.com", endpoint.Host);
        Assert.Null(endpoint.Address);
        Assert.Null(endpoint.ToIPEndPoint());
        Assert.Equal(1 + 1 + 11 + 2, endpoint.Socks5EncodedLength);
    }

    [Fact]
    public void Address_endpoints_have_an_address_and_no_host()
    {
        var v4 = SocksEndpoint.FromAddress(IPAddress.Loopback, 1080);
        Assert.False(v4.IsHostName);
        Assert.Null(v4.Host);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 1080), v4.ToIPEndPoint());
        Assert.Equal(7, v4.Socks5EncodedLength);

        var v6 = SocksEndpoint.FromAddress(IPAddress.IPv6Loopback, 1080);
        Assert.Equal(AddressType.IPv6, v6.Type);
        Assert.Null(v6.Host);
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 1080), v6.ToIPEndPoint());
        Assert.Equal(19, v6.Socks5EncodedLength);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("nul\0")]
    [InlineData("del\u007F")]
    [InlineData("bücher.example")]
    public void FromHost_rejects_names_that_cannot_be_sent(string host)
    {
        Assert.Throws<ArgumentException>(() => SocksEndpoint.FromHost(host, 80));
    }

    [Fact]
    public void FromHost_accepts_255_and_rejects_256_characters()
    {
        Assert.Equal(255, SocksEndpoint.FromHost(new string('a', 255), 80).Host!.Length);
        Assert.Throws<ArgumentException>(() => SocksEndpoint.FromHost(new string('a', 256), 80));
    }

    [Fact]
    public void Null_arguments_throw()
    {
        Assert.Throws<ArgumentNullException>(() => SocksEndpoint.FromHost(null!, 80));
        Assert.Throws<ArgumentNullException>(() => SocksEndpoint.FromAddress(null!, 80));
        Assert.Throws<ArgumentNullException>(() => SocksEndpoint.FromEndPoint(null!));
    }

    [Fact]
    public void Equality_is_by_value()
    {
        Assert.Equal(SocksEndpoint.FromHost("a.example", 1), SocksEndpoint.FromHost("a.example", 1));
        Assert.NotEqual(SocksEndpoint.FromHost("a.example", 1), SocksEndpoint.FromHost("a.example", 2));
        Assert.Equal(SocksEndpoint.FromAddress(IPAddress.Parse("1.2.3.4"), 1), SocksEndpoint.FromAddress(IPAddress.Parse("1.2.3.4"), 1));
    }

    [Fact]
    public void Property_ipv4_mapped_of_any_ipv4_is_that_ipv4()
    {
        Gen.Select(Gens.IPv4, Gens.Port).Sample((address, port) =>
        {
            var mapped = SocksEndpoint.FromAddress(address.MapToIPv6(), port);
            Assert.Equal(SocksEndpoint.FromAddress(address, port), mapped);
            Assert.Equal($"{address}:{port}", mapped.ToString());
        }, iter: Gens.RoundTripIterations);
    }

    [Fact]
    public void Property_ipv6_to_string_is_bracketed_and_parses_back()
    {
        Gen.Select(Gens.IPv6, Gens.Port).Where((a, _) => !a.IsIPv4MappedToIPv6).Sample((address, port) =>
        {
            var text = SocksEndpoint.FromAddress(address, port).ToString();
            Assert.StartsWith("[", text, StringComparison.Ordinal);
            Assert.Equal(new IPEndPoint(address, port), IPEndPoint.Parse(text));
        }, iter: Gens.RoundTripIterations);
    }
}
