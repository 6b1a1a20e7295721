using System.Net;
using Windsock.Client.Tests.Support;
using Xunit;

namespace Windsock.Client.Tests;

/// <summary>
/// The client against OpenSSH's dynamic forwarding (<c>ssh -D</c>, Debian openssh-client, logged in
/// to a local Debian openssh-server): CONNECT over SOCKS5 (names resolved by the proxy, IPv4 and IPv6
/// addresses), SOCKS4 and SOCKS4a, byte-exact. ssh -D implements CONNECT only; what it does with BIND
/// and UDP ASSOCIATE is pinned below as the typed error our client reports.
/// </summary>
[Trait("Peer", "ssh -D")]
public sealed class SshDynamicForwardingTests(SshDynamicProxy ssh) : IClassFixture<SshDynamicProxy>
{
    private SocksClient Client(SocksProtocol protocol) => new(new ProxyHop(ssh.EndPoint, protocol));

    [Theory]
    [InlineData(SocksProtocol.Socks5, "localhost")]     // ATYP domain: ssh resolves the name
    [InlineData(SocksProtocol.Socks5, "127.0.0.1")]
    [InlineData(SocksProtocol.Socks5, "::1")]
    [InlineData(SocksProtocol.Socks4a, "localhost")]    // SOCKS4a: the name after the USERID
    [InlineData(SocksProtocol.Socks4, "127.0.0.1")]
    public async Task Connect_carries_data_both_ways(SocksProtocol protocol, string target)
    {
        SshDynamicProxy.SkipUnlessAvailable();
        using var cts = Bounded.Cts();
        // "localhost" may resolve to ::1 first on ssh's side: listen on both families for names.
        await using var echo4 = new EchoServer(IPAddress.Loopback);
        await using var echo6 = target == "::1" ? new EchoServer(IPAddress.IPv6Loopback) : null;
        int port = echo6?.EndPoint.Port ?? echo4.EndPoint.Port;

        using var socket = await Client(protocol).ConnectAsync(target, port, cts.Token);
        await Echo.AssertRoundTripAsync(socket, 1_000_000, cts.Token);
        Assert.True(socket.Connected, ssh.Transcript());
    }

    [Theory]
    [InlineData(SocksProtocol.Socks5)]
    [InlineData(SocksProtocol.Socks4a)]
    public async Task Http_download_by_name_is_byte_exact(SocksProtocol protocol)
    {
        SshDynamicProxy.SkipUnlessAvailable();
        using var cts = Bounded.Cts();
        var body = new byte[2 * 1024 * 1024];
        new Random(7).NextBytes(body);
        await using var http = new HttpResponder(body);
        using var httpClient = new HttpClient(new Windsock.Client.Http.SocksHttpHandler(new ProxyChain(new ProxyHop(ssh.EndPoint, protocol))));

        // The name goes to ssh, which resolves it (HttpResponder listens on 127.0.0.1; ssh tries each address of localhost).
        byte[] received = await httpClient.GetByteArrayAsync(new Uri($"http://localhost:{http.EndPoint.Port}/file"), cts.Token);

        Assert.Equal(body, received);
        Assert.Equal(1, http.Requests);
    }

    /// <summary>
    /// ssh -D has no BIND: it sends no reply at all (neither SOCKS5 reply 7 "command not supported" nor
    /// SOCKS4 reply 91) and closes the connection, which our client reports as
    /// <see cref="SocksErrorKind.ConnectionClosed"/> with no reply code. ssh itself goes on serving.
    /// </summary>
    [Theory]
    [InlineData(SocksProtocol.Socks5)]
    [InlineData(SocksProtocol.Socks4)]
    public async Task Bind_is_not_supported_ssh_closes_without_a_reply(SocksProtocol protocol)
    {
        SshDynamicProxy.SkipUnlessAvailable();
        using var cts = Bounded.Cts();
        var e = await Assert.ThrowsAsync<SocksException>(async () =>
        {
            await using var bind = await Client(protocol).BindAsync(new IPEndPoint(IPAddress.Loopback, 0), cts.Token);
        });

        AssertClosedWithoutReply(e, protocol);
        await AssertStillServesAsync(cts.Token);
    }

    /// <summary>Nor UDP ASSOCIATE: the same close without a reply.</summary>
    [Fact]
    public async Task Udp_associate_is_not_supported_ssh_closes_without_a_reply()
    {
        SshDynamicProxy.SkipUnlessAvailable();
        using var cts = Bounded.Cts();
        var e = await Assert.ThrowsAsync<SocksException>(async () =>
        {
            await using var udp = await Client(SocksProtocol.Socks5).AssociateUdpAsync(cts.Token);
        });

        AssertClosedWithoutReply(e, SocksProtocol.Socks5);
        await AssertStillServesAsync(cts.Token);
    }

    /// <summary>
    /// A destination that refuses: ssh waits for the forwarded connection before it answers, and when it
    /// fails closes without a reply (no reply 5 "connection refused"), so the cause is not visible to
    /// the client; ssh logs "open failed" on its side.
    /// </summary>
    [Theory]
    [InlineData(SocksProtocol.Socks5)]
    [InlineData(SocksProtocol.Socks4)]
    public async Task A_refused_destination_is_a_close_without_a_reply(SocksProtocol protocol)
    {
        SshDynamicProxy.SkipUnlessAvailable();
        using var cts = Bounded.Cts();
        var e = await Assert.ThrowsAsync<SocksException>(() => Client(protocol).ConnectAsync(IPAddress.Loopback, FreePort.Closed(), cts.Token));

        AssertClosedWithoutReply(e, protocol);
    }

    private void AssertClosedWithoutReply(SocksException e, SocksProtocol protocol)
    {
        string version = protocol == SocksProtocol.Socks5 ? "SOCKS5" : "SOCKS4";
        Assert.True(e.Kind == SocksErrorKind.ConnectionClosed && e.ReplyCode is null, $"{e.Kind} {e.ReplyCode} {e.Message}\n{ssh.Transcript()}");
        Assert.Contains($"closed the connection during the {version} reply", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, e.HopIndex);
    }

    private async Task AssertStillServesAsync(CancellationToken cancellationToken)
    {
        await using var echo = new EchoServer(IPAddress.Loopback);
        using var socket = await Client(SocksProtocol.Socks5).ConnectAsync(echo.EndPoint, cancellationToken);
        await Echo.AssertRoundTripAsync(socket, 1000, cancellationToken);
    }
}
