using System.Net;
using Windsock.Client.Tests.Support;
using Windsock.Server.Authentication;
using Xunit;

namespace Windsock.Client.Tests;

/// <summary>The client against the real Windsock server, in-process on loopback.</summary>
public class WindsockServerTests
{
    private sealed class OneUser(string user, string password) : ICredentialVerifier
    {
        public ValueTask<CredentialVerdict> VerifyAsync(string userName, string password1, IPAddress client, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new CredentialVerdict(userName == user && password1 == password, "test"));
    }

    public static TheoryData<SocksProtocol, string> ProtocolsAndTargets => new()
    {
        { SocksProtocol.Socks5, "127.0.0.1" },
        { SocksProtocol.Socks5, "::1" },
        { SocksProtocol.Socks5, "localhost" },
        { SocksProtocol.Socks4a, "127.0.0.1" },
        { SocksProtocol.Socks4a, "localhost" },
        { SocksProtocol.Socks4, "127.0.0.1" },
        { SocksProtocol.Socks4, "localhost" },
    };

    [Theory]
    [MemberData(nameof(ProtocolsAndTargets))]
    public async Task Connect_carries_data_both_ways(SocksProtocol protocol, string target)
    {
        using var cts = Bounded.Cts();
        await using var server = TestServer.Start();
        // "localhost" may resolve to ::1 or 127.0.0.1 first; an echo on each makes either answer right.
        await using var echo4 = new EchoServer(IPAddress.Loopback);
        await using var echo6 = new EchoServer(IPAddress.IPv6Loopback);
        int port = target == "::1" ? echo6.EndPoint.Port : echo4.EndPoint.Port;
        var client = new SocksClient(new ProxyHop(server.EndPoint, protocol));

        using var socket = await client.ConnectAsync(target, port, cts.Token);
        await Echo.AssertRoundTripAsync(socket, cancellationToken: cts.Token);
    }

    [Fact]
    public async Task Name_is_sent_to_the_proxy_by_default_and_resolved_here_when_asked()
    {
        using var cts = Bounded.Cts();
        await using var server = TestServer.Start();
        await using var echo = new EchoServer(IPAddress.Loopback);

        var byProxy = new SocksClient(new ProxyHop(server.EndPoint));
        using (var socket = await byProxy.ConnectAsync("localhost", echo.EndPoint.Port, cts.Token))
        {
            await Echo.AssertRoundTripAsync(socket, 1000, cts.Token);
        }

        await server.WaitForLineAsync(l => l.Contains("localhost", StringComparison.Ordinal));

        // Resolved here: localhost's addresses are tried in turn until one has the echo listening.
        var local = new SocksClient(new ProxyHop(server.EndPoint) { Resolution = NameResolution.Local });
        using (var socket = await local.ConnectAsync("localhost", echo.EndPoint.Port, cts.Token))
        {
            await Echo.AssertRoundTripAsync(socket, 1000, cts.Token);
        }
    }

    [Fact]
    public async Task Connect_over_ipv6_to_the_proxy()
    {
        using var cts = Bounded.Cts();
        await using var server = TestServer.Start();
        await using var echo = new EchoServer(IPAddress.IPv6Loopback);
        var client = new SocksClient(new ProxyHop(server.EndPointV6));

        await using var stream = await client.ConnectStreamAsync(echo.EndPoint, cts.Token);
        await stream.WriteAsync("ping"u8.ToArray(), cts.Token);
        var back = new byte[4];
        await stream.ReadExactlyAsync(back, cts.Token);
        Assert.Equal("ping"u8.ToArray(), back);
    }

    [Fact]
    public async Task Right_password_connects()
    {
        using var cts = Bounded.Cts();
        await using var server = TestServer.Start(credentials: new OneUser("alice", "s3cret"));
        await using var echo = new EchoServer(IPAddress.Loopback);
        var client = new SocksClient(new ProxyHop(server.EndPoint) { Credentials = new SocksCredentials("alice", "s3cret") });

        using var socket = await client.ConnectAsync(echo.EndPoint, cts.Token);
        await Echo.AssertRoundTripAsync(socket, cancellationToken: cts.Token);
        await server.WaitForLineAsync(l => l.Contains("user=alice", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Wrong_password_is_a_typed_authentication_failure()
    {
        using var cts = Bounded.Cts();
        await using var server = TestServer.Start(credentials: new OneUser("alice", "s3cret"));
        var client = new SocksClient(new ProxyHop(server.EndPoint) { Credentials = new SocksCredentials("alice", "wrong") });

        var e = await Assert.ThrowsAsync<SocksException>(() => client.ConnectAsync(IPAddress.Loopback, 80, cts.Token));
        Assert.Equal(SocksErrorKind.AuthenticationFailed, e.Kind);
        Assert.NotNull(e.ReplyCode);
        Assert.NotEqual(0, e.ReplyCode);
        Assert.Equal(0, e.HopIndex);
    }

    [Fact]
    public async Task No_credentials_for_a_server_that_requires_them_is_no_acceptable_method()
    {
        using var cts = Bounded.Cts();
        await using var server = TestServer.Start(credentials: new OneUser("alice", "s3cret"));
        var client = new SocksClient(new ProxyHop(server.EndPoint));

        var e = await Assert.ThrowsAsync<SocksException>(() => client.ConnectAsync(IPAddress.Loopback, 80, cts.Token));
        Assert.Equal(SocksErrorKind.NoAcceptableAuthMethod, e.Kind);
        Assert.Equal(0xFF, e.ReplyCode);
    }

    [Fact]
    public async Task Credentials_still_work_with_a_server_that_asks_for_none()
    {
        using var cts = Bounded.Cts();
        await using var server = TestServer.Start();
        await using var echo = new EchoServer(IPAddress.Loopback);
        var client = new SocksClient(new ProxyHop(server.EndPoint) { Credentials = new SocksCredentials("alice", "s3cret") });

        using var socket = await client.ConnectAsync(echo.EndPoint, cts.Token);
        await Echo.AssertRoundTripAsync(socket, 1000, cts.Token);
    }

    [Fact]
    public async Task Refused_destination_is_socks5_reply_5_in_words()
    {
        using var cts = Bounded.Cts();
        await using var server = TestServer.Start();
        var client = new SocksClient(new ProxyHop(server.EndPoint));
        int closed = FreePort.Closed();

        var e = await Assert.ThrowsAsync<SocksException>(() => client.ConnectAsync(IPAddress.Loopback, closed, cts.Token));
        Assert.Equal(SocksErrorKind.CommandFailed, e.Kind);
        Assert.Equal(5, e.ReplyCode);
        Assert.Equal("connection refused", e.ReplyMeaning);
        Assert.Equal($"127.0.0.1:{closed}", e.Destination);
        Assert.Null(e.Reason);
    }

    [Fact]
    public async Task Refused_destination_over_socks4_is_cd_91()
    {
        using var cts = Bounded.Cts();
        await using var server = TestServer.Start();
        var client = new SocksClient(new ProxyHop(server.EndPoint, SocksProtocol.Socks4));

        var e = await Assert.ThrowsAsync<SocksException>(() => client.ConnectAsync(IPAddress.Loopback, FreePort.Closed(), cts.Token));
        Assert.Equal(91, e.ReplyCode);
        Assert.Equal("request rejected or failed", e.ReplyMeaning);
    }

    [Fact]
    public async Task A_bind_whose_peer_never_comes_fails_with_the_servers_timeout_reply()
    {
        using var cts = Bounded.Cts();
        await using var server = TestServer.Start(o => o with { Bind = o.Bind with { Timeout = TimeSpan.FromMilliseconds(300) } });
        var client = new SocksClient(new ProxyHop(server.EndPoint));

        await using var bind = await client.BindAsync(new IPEndPoint(IPAddress.Loopback, 0), cts.Token);
        var e = await Assert.ThrowsAsync<SocksException>(() => bind.AcceptAsync(cts.Token));

        Assert.Equal(6, e.ReplyCode);
        Assert.Equal("TTL expired", e.ReplyMeaning);
    }

    [Fact]
    public async Task A_denial_carries_the_servers_reason_in_words()
    {
        using var cts = Bounded.Cts();
        var rule = new Windsock.Policy.AccessRule { Action = Windsock.Policy.RuleAction.Deny, Reason = "outbound SMTP is blocked; use the relay" };
        await using var server = TestServer.Start(o => o with { Rules = new Windsock.Policy.RuleSet([rule]) });
        var client = new SocksClient(new ProxyHop(server.EndPoint));

        var e = await Assert.ThrowsAsync<SocksException>(() => client.ConnectAsync(IPAddress.Loopback, 25, cts.Token));

        Assert.Equal(2, e.ReplyCode);
        Assert.Equal("outbound SMTP is blocked; use the relay", e.Reason);
        Assert.Contains("outbound SMTP is blocked", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_limit_refusal_carries_the_limits_reason_in_words()
    {
        using var cts = Bounded.Cts();
        await using var server = TestServer.Start(o => o with { Limits = o.Limits with { SessionsPerUser = 1 } }, credentials: new OneUser("alice", "s3cret"));
        await using var echo = new EchoServer(IPAddress.Loopback);
        var client = new SocksClient(new ProxyHop(server.EndPoint) { Credentials = new SocksCredentials("alice", "s3cret") });
        using var held = await client.ConnectAsync(echo.EndPoint, cts.Token);

        var e = await Assert.ThrowsAsync<SocksException>(() => client.ConnectAsync(echo.EndPoint, cts.Token));

        Assert.Equal(SocksErrorKind.CommandFailed, e.Kind);
        Assert.Equal(1, e.ReplyCode);
        Assert.Equal("limit sessions_per_user=1 reached for alice", e.Reason);
        Assert.Contains("limit sessions_per_user=1 reached for alice", e.Message, StringComparison.Ordinal);

        // The session that holds the slot is untouched by the refusal.
        await Echo.AssertRoundTripAsync(held, 1000, cts.Token);
    }
}
