using System.Net;
using Windsock.Client.Tests.Support;
using Windsock.Protocol.Gssapi;
using Xunit;

namespace Windsock.Client.Tests;

/// <summary>The configuration types and the UDP header, without any network.</summary>
public class ModelTests
{
    [Theory]
    [InlineData("socks5h://127.0.0.1:1080", SocksProtocol.Socks5, NameResolution.Proxy, 1080)]
    [InlineData("socks5://proxy.example", SocksProtocol.Socks5, NameResolution.Local, 1080)]
    [InlineData("socks4a://proxy.example:9050", SocksProtocol.Socks4a, NameResolution.Proxy, 9050)]
    [InlineData("socks4://[::1]:1081", SocksProtocol.Socks4, NameResolution.Local, 1081)]
    public void FromUri_follows_curls_schemes(string uri, SocksProtocol protocol, NameResolution resolution, int port)
    {
        var hop = ProxyHop.FromUri(new Uri(uri));
        Assert.Equal(protocol, hop.Protocol);
        Assert.Equal(resolution, hop.Resolution);
        Assert.Equal(port, hop.Port);
    }

    [Fact]
    public void FromUri_reads_percent_encoded_credentials_and_ToString_hides_them()
    {
        var hop = ProxyHop.FromUri(new Uri("socks5h://al%40ice:p%3Ass@127.0.0.1:1080"));
        Assert.Equal("al@ice", hop.Credentials!.UserName);
        Assert.Equal("p:ss", hop.Credentials.Password);
        Assert.Equal("socks5h://127.0.0.1:1080", hop.ToString());
        Assert.Equal("al@ice:***", hop.Credentials.ToString());
    }

    [Fact]
    public void FromUri_rejects_other_schemes()
    {
        Assert.Throws<ArgumentException>(() => ProxyHop.FromUri(new Uri("http://127.0.0.1:3128")));
    }

    [Theory]
    [InlineData("socks5h://proxy.example:1080?gssapi", GssapiProtectionLevel.Confidentiality, "rcmd")]
    [InlineData("socks5://proxy.example?gssapi=integrity", GssapiProtectionLevel.Integrity, "rcmd")]
    [InlineData("socks5h://proxy.example?gssapi=clear&gssapi-service=socks", GssapiProtectionLevel.Clear, "socks")]
    public void FromUri_reads_gssapi_from_the_query(string uri, GssapiProtectionLevel protection, string service)
    {
        var hop = ProxyHop.FromUri(new Uri(uri));
        Assert.Equal(protection.ToPublic(), hop.Gssapi!.Protection);
        Assert.Equal(service, hop.Gssapi.ServiceName);
        Assert.EndsWith($"?gssapi={protection.ToString().ToLowerInvariant()}", hop.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("socks5h://proxy.example?gssapi=selective")]
    [InlineData("socks5h://proxy.example?gssapi-service=socks")]
    [InlineData("socks5h://proxy.example?gssapi&gssapi-service=a/b")]
    [InlineData("socks5h://proxy.example?color=blue")]
    [InlineData("socks4a://proxy.example?gssapi")]
    public void FromUri_rejects_gssapi_queries_it_cannot_honour(string uri)
    {
        Assert.Throws<ArgumentException>(() => ProxyHop.FromUri(new Uri(uri)));
    }

    [Fact]
    public void Credentials_and_chains_are_checked_where_they_are_written()
    {
        Assert.Throws<ArgumentException>(() => new SocksCredentials("", "x"));
        Assert.Throws<ArgumentException>(() => new SocksCredentials("u", new string('p', 256)));
        Assert.Throws<ArgumentException>(() => new ProxyChain());
        Assert.Throws<ArgumentException>(() => new ProxyHop("h", 1) { UserId = "bad\0id" });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProxyHop("h", 65536));
    }

    [Fact]
    public void Ipv6_hop_prints_with_brackets()
    {
        Assert.Equal("socks4a://[::1]:1080", new ProxyHop(new IPEndPoint(IPAddress.IPv6Loopback, 1080), SocksProtocol.Socks4a).ToString());
    }
}
