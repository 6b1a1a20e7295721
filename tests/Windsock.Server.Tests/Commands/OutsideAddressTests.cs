using System.Net;
using Windsock.Protocol;
using Windsock.Protocol.Socks5;
using Windsock.Server.Configuration;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Commands;

/// <summary>
/// [outside] ipv4 (Dante's external:) on a loopback alias: outbound connections leave from it and BIND listens
/// on it, while the client still talks to the listener on 127.0.0.1.
/// </summary>
public sealed class OutsideAddressTests
{
    private static readonly IPAddress Outside = IPAddress.Parse("127.0.0.2");

    [Fact]
    public async Task Connect_leaves_from_the_outside_address()
    {
        await using var server = TestServer.Start(o => o with { Outside = new OutsideAddresses { IPv4 = Outside } });
        await using var echo = new EchoServer(IPAddress.Loopback);
        using var client = await RawClient.ConnectAsync(server.EndPoint);

        Assert.Equal(Socks5ReplyCode.Succeeded, (await client.ConnectSocks5Async(SocksEndpoint.FromEndPoint(echo.EndPoint))).Code);
        await client.SendAsync("x"u8.ToArray());
        Assert.Equal("x"u8.ToArray(), await client.ReadExactlyAsync(1));

        Assert.True(echo.Peers.TryPeek(out var peer));
        Assert.Equal(Outside, peer.Address);
    }

    [Fact]
    public async Task Bind_listens_and_announces_the_outside_address()
    {
        await using var server = TestServer.Start(o => o with { Outside = new OutsideAddresses { IPv4 = Outside } });
        using var client = await RawClient.ConnectAsync(server.EndPoint);
        Assert.Equal((byte)AuthMethod.None, await client.GreetAsync(AuthMethod.None));

        var first = await client.RequestAsync(Socks5Command.Bind, SocksEndpoint.FromAddress(IPAddress.Loopback, 21));

        Assert.Equal(Socks5ReplyCode.Succeeded, first.Code);
        Assert.Equal(Outside, first.Bound.ToIPEndPoint()!.Address);
        using var peer = await RawClient.ConnectAsync(first.Bound.ToIPEndPoint()!);
        Assert.Equal(Socks5ReplyCode.Succeeded, (await client.ReadSocks5ReplyAsync()).Code);
    }

    [Theory]
    [InlineData("[outside]\nipv4 = \"::1\"\n", "not an IPv4 address")]
    [InlineData("[outside]\nipv6 = \"127.0.0.1\"\n", "not an IPv6 address")]
    [InlineData("[outside]\nipv4 = \"0.0.0.0\"\n", "unspecified address")]
    [InlineData("[outside]\nipv4 = \"192.0.2.77\"\n", "not an address of this host")]
    public void Bad_outside_addresses_are_located_errors(string toml, string messagePart)
    {
        ConfigException error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(toml, "/etc/windsock/windsock.toml"));

        Assert.Contains(messagePart, error.Message, StringComparison.Ordinal);
        Assert.Equal((2, 8), (error.Line, error.Column));
    }

    [Fact]
    public void Outside_addresses_are_read()
    {
        var outside = ConfigLoader.Parse("[outside]\nipv4 = \"127.0.0.2\"\nipv6 = \"::1\"\n", "/etc/windsock/windsock.toml").Outside;

        Assert.Equal((Outside, IPAddress.IPv6Loopback), (outside.IPv4, outside.IPv6));
    }
}
