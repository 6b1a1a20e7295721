using System.Net;
using Windsock.Client.Tests.Support;
using Windsock.Server.Authentication;
using Xunit;

namespace Windsock.Client.Tests;

/// <summary>Chains of two real Windsock servers: the client CONNECTs through the first to the second.</summary>
public class ChainTests
{
    private sealed class OneUser(string user, string password) : ICredentialVerifier
    {
        public ValueTask<CredentialVerdict> VerifyAsync(string userName, string password1, IPAddress client, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new CredentialVerdict(userName == user && password1 == password, "test"));
    }

    public static TheoryData<SocksProtocol, SocksProtocol> Pairs => new()
    {
        { SocksProtocol.Socks5, SocksProtocol.Socks5 },
        { SocksProtocol.Socks4, SocksProtocol.Socks5 },
        { SocksProtocol.Socks5, SocksProtocol.Socks4a },
        { SocksProtocol.Socks4a, SocksProtocol.Socks4 },
    };

    [Theory]
    [MemberData(nameof(Pairs))]
    public async Task Two_hops_carry_data_and_each_hop_sees_its_own_request(SocksProtocol first, SocksProtocol second)
    {
        using var cts = Bounded.Cts();
        await using var a = TestServer.Start();
        await using var b = TestServer.Start();
        await using var echo = new EchoServer(IPAddress.Loopback);
        var client = new SocksClient(new ProxyChain(new ProxyHop(a.EndPoint, first), new ProxyHop(b.EndPoint, second)));

        using var socket = await client.ConnectAsync("127.0.0.1", echo.EndPoint.Port, cts.Token);
        await Echo.AssertRoundTripAsync(socket, cancellationToken: cts.Token);

        await a.WaitForLineAsync(l => l.Contains($"127.0.0.1:{b.EndPoint.Port}", StringComparison.Ordinal));
        await b.WaitForLineAsync(l => l.Contains($"127.0.0.1:{echo.EndPoint.Port}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Each_hop_has_its_own_credentials()
    {
        using var cts = Bounded.Cts();
        await using var a = TestServer.Start(credentials: new OneUser("alice", "a-pass"));
        await using var b = TestServer.Start(credentials: new OneUser("bob", "b-pass"));
        await using var echo = new EchoServer(IPAddress.Loopback);
        var client = new SocksClient(new ProxyChain(
            new ProxyHop(a.EndPoint) { Credentials = new SocksCredentials("alice", "a-pass") },
            new ProxyHop(b.EndPoint) { Credentials = new SocksCredentials("bob", "b-pass") }));

        using var socket = await client.ConnectAsync(echo.EndPoint, cts.Token);
        await Echo.AssertRoundTripAsync(socket, cancellationToken: cts.Token);
        await a.WaitForLineAsync(l => l.Contains("user=alice", StringComparison.Ordinal));
        await b.WaitForLineAsync(l => l.Contains("user=bob", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Failure_at_the_second_hop_names_hop_1()
    {
        using var cts = Bounded.Cts();
        await using var a = TestServer.Start();
        await using var b = TestServer.Start(credentials: new OneUser("bob", "b-pass"));
        var client = new SocksClient(new ProxyChain(
            new ProxyHop(a.EndPoint),
            new ProxyHop(b.EndPoint) { Credentials = new SocksCredentials("bob", "wrong") }));

        var e = await Assert.ThrowsAsync<SocksException>(() => client.ConnectAsync(IPAddress.Loopback, 80, cts.Token));
        Assert.Equal(SocksErrorKind.AuthenticationFailed, e.Kind);
        Assert.Equal(1, e.HopIndex);
        Assert.Contains("hop 2 of 2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreachable_second_hop_is_reported_by_the_first()
    {
        using var cts = Bounded.Cts();
        await using var a = TestServer.Start();
        int closed = FreePort.Closed();
        var client = new SocksClient(new ProxyChain(new ProxyHop(a.EndPoint), new ProxyHop("127.0.0.1", closed)));

        var e = await Assert.ThrowsAsync<SocksException>(() => client.ConnectAsync(IPAddress.Loopback, 80, cts.Token));
        Assert.Equal(SocksErrorKind.CommandFailed, e.Kind);
        Assert.Equal(0, e.HopIndex);
        Assert.Equal(5, e.ReplyCode);
        Assert.Equal($"127.0.0.1:{closed}", e.Destination);
    }
}
