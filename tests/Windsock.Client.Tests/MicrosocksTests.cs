using System.Net;
using Windsock.Client.Tests.Support;
using Xunit;

namespace Windsock.Client.Tests;

/// <summary>The client against microsocks (Debian package microsocks): SOCKS5 CONNECT with and without a password.</summary>
[Trait("Peer", "microsocks")]
public class MicrosocksTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("localhost")]
    public async Task Connect_carries_data_both_ways(string target)
    {
        using var cts = Bounded.Cts();
        await using var proxy = await ExternalProxy.StartMicrosocksAsync();
        await using var echo = new EchoServer(target == "::1" ? IPAddress.IPv6Loopback : IPAddress.Loopback);
        var client = new SocksClient(new ProxyHop(proxy.EndPoint));

        using var socket = await client.ConnectAsync(target, echo.EndPoint.Port, cts.Token);
        await Echo.AssertRoundTripAsync(socket, cancellationToken: cts.Token);
    }

    [Fact]
    public async Task Right_password_connects()
    {
        using var cts = Bounded.Cts();
        await using var proxy = await ExternalProxy.StartMicrosocksAsync("alice", "s3cret");
        await using var echo = new EchoServer(IPAddress.Loopback);
        var client = new SocksClient(new ProxyHop(proxy.EndPoint) { Credentials = new SocksCredentials("alice", "s3cret") });

        using var socket = await client.ConnectAsync(echo.EndPoint, cts.Token);
        await Echo.AssertRoundTripAsync(socket, cancellationToken: cts.Token);
    }

    [Fact]
    public async Task Wrong_password_is_a_typed_authentication_failure()
    {
        using var cts = Bounded.Cts();
        await using var proxy = await ExternalProxy.StartMicrosocksAsync("alice", "s3cret");
        var client = new SocksClient(new ProxyHop(proxy.EndPoint) { Credentials = new SocksCredentials("alice", "wrong") });

        var e = await Assert.ThrowsAsync<SocksException>(() => client.ConnectAsync(IPAddress.Loopback, 80, cts.Token));
        Assert.Equal(SocksErrorKind.AuthenticationFailed, e.Kind);
        Assert.NotEqual(0, e.ReplyCode);
    }

    [Fact]
    public async Task Credentials_work_with_microsocks_asking_for_none()
    {
        using var cts = Bounded.Cts();
        await using var proxy = await ExternalProxy.StartMicrosocksAsync();
        await using var echo = new EchoServer(IPAddress.Loopback);
        var client = new SocksClient(new ProxyHop(proxy.EndPoint) { Credentials = new SocksCredentials("alice", "s3cret") });

        using var socket = await client.ConnectAsync(echo.EndPoint, cts.Token);
        await Echo.AssertRoundTripAsync(socket, 1000, cts.Token);
    }

    [Fact]
    public async Task Chain_of_windsock_then_microsocks_with_password()
    {
        using var cts = Bounded.Cts();
        await using var windsock = TestServer.Start();
        await using var proxy = await ExternalProxy.StartMicrosocksAsync("alice", "s3cret");
        await using var echo = new EchoServer(IPAddress.Loopback);
        var client = new SocksClient(new ProxyChain(
            new ProxyHop(windsock.EndPoint),
            new ProxyHop(proxy.EndPoint) { Credentials = new SocksCredentials("alice", "s3cret") }));

        using var socket = await client.ConnectAsync(echo.EndPoint, cts.Token);
        await Echo.AssertRoundTripAsync(socket, cancellationToken: cts.Token);
    }
}
