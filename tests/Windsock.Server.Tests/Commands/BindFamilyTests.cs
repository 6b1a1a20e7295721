using System.Net;
using Windsock.Protocol;
using Windsock.Protocol.Socks4;
using Windsock.Protocol.Socks5;
using Windsock.Server.Tests.Support;
using Xunit;

namespace Windsock.Server.Tests.Commands;

/// <summary>
/// BIND listens in the family of the peer it expects: a client on an IPv6 control connection whose BIND names
/// an IPv4 peer gets an IPv4 listener (SOCKS5), and SOCKS4 over IPv6 is no longer refused with 91.
/// </summary>
public sealed class BindFamilyTests
{
    [Fact]
    public async Task Socks5_over_ipv6_naming_an_ipv4_peer_listens_on_ipv4_and_the_peer_gets_through()
    {
        await using var server = TestServer.Start();
        using var client = await RawClient.ConnectAsync(server.EndPointV6);
        Assert.Equal((byte)AuthMethod.None, await client.GreetAsync(AuthMethod.None));

        var first = await client.RequestAsync(Socks5Command.Bind, SocksEndpoint.FromAddress(IPAddress.Loopback, 21));
        Assert.Equal(Socks5ReplyCode.Succeeded, first.Code);
        var announced = first.Bound.ToIPEndPoint()!;
        Assert.Equal(IPAddress.Loopback, announced.Address);

        using var peer = await RawClient.ConnectAsync(announced);
        var second = await client.ReadSocks5ReplyAsync();
        Assert.Equal(Socks5ReplyCode.Succeeded, second.Code);
        await client.SendAsync("hello"u8.ToArray());
        Assert.Equal("hello"u8.ToArray(), await peer.ReadExactlyAsync(5));
    }

    [Fact]
    public async Task Socks4_over_ipv6_naming_an_ipv4_peer_is_granted_an_ipv4_listener()
    {
        await using var server = TestServer.Start();
        using var client = await RawClient.ConnectAsync(server.EndPointV6);

        var first = await client.RequestSocks4Async(Socks4Command.Bind, SocksEndpoint.FromAddress(IPAddress.Loopback, 21));

        Assert.Equal(Socks4ReplyCode.Granted, first.Code);
        Assert.Equal(IPAddress.Loopback, first.Address);
        using var peer = await RawClient.ConnectAsync(new IPEndPoint(first.Address, first.Port));
        Assert.Equal(Socks4ReplyCode.Granted, (await client.ReadSocks4ReplyAsync()).Code);
    }

    [Fact]
    public async Task Socks5_over_ipv4_naming_an_ipv6_peer_listens_on_ipv6()
    {
        await using var server = TestServer.Start();
        using var client = await RawClient.ConnectAsync(server.EndPoint);
        Assert.Equal((byte)AuthMethod.None, await client.GreetAsync(AuthMethod.None));

        var first = await client.RequestAsync(Socks5Command.Bind, SocksEndpoint.FromAddress(IPAddress.IPv6Loopback, 21));

        Assert.Equal(Socks5ReplyCode.Succeeded, first.Code);
        Assert.Equal(IPAddress.IPv6Loopback, first.Bound.ToIPEndPoint()!.Address);
    }
}
