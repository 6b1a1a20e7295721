using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Windsock.Client.Http;
using Windsock.Client.Tests.Support;
using Windsock.Protocol.Gssapi;
using Xunit;

namespace Windsock.Client.Tests;

/// <summary>
/// The client's RFC 1961 handshake and protected connections against <see cref="GssapiProxy"/>, a scripted
/// SOCKS5 proxy with a real Kerberos acceptor, in a throwaway realm; and the greeting bytes against a byte-level peer.
/// </summary>
public class GssapiTests(KerberosFixture kerberos)
{
    private static ProxyHop Hop(IPEndPoint proxy, GssapiProtectionLevel protection, bool nec = false, NetworkCredential? credential = null) =>
        new(proxy) { Gssapi = new SocksGssapiOptions { TargetName = Kerberos.Target, Protection = protection.ToPublic(), SendProtectionLevelUnwrapped = nec, Credential = credential } };

    public static TheoryData<GssapiProtectionLevel> Levels => [GssapiProtectionLevel.Clear, GssapiProtectionLevel.Integrity, GssapiProtectionLevel.Confidentiality];

    [Theory]
    [MemberData(nameof(Levels))]
    public async Task Connect_echoes_a_MiB_byte_exact_at_each_level(GssapiProtectionLevel level)
    {
        await kerberos.GetAsync();
        using var cts = Bounded.Cts();
        await using var proxy = new GssapiProxy();
        await using var echo = new EchoServer(IPAddress.Loopback);
        var client = new SocksClient(Hop(proxy.EndPoint, level));

        await using var stream = await client.ConnectStreamAsync(echo.EndPoint, cts.Token);
        Assert.Equal(level == GssapiProtectionLevel.Clear, stream is NetworkStream);
        Assert.Equal(level != GssapiProtectionLevel.Clear, stream is GssapiStream);
        await AssertEchoAsync(stream, 1024 * 1024, cts.Token);
        Assert.Equal(("alice@" + KerberosRealm.RealmName, level), Assert.Single(proxy.Sessions));
        Assert.Empty(proxy.Failures);
    }

    [Fact]
    public async Task Clear_gives_a_plain_socket_from_ConnectAsync()
    {
        await kerberos.GetAsync();
        using var cts = Bounded.Cts();
        await using var proxy = new GssapiProxy();
        await using var echo = new EchoServer(IPAddress.Loopback);
        using var socket = await new SocksClient(Hop(proxy.EndPoint, GssapiProtectionLevel.Clear)).ConnectAsync(echo.EndPoint, cts.Token);
        await Echo.AssertRoundTripAsync(socket, cancellationToken: cts.Token);
    }

    [Fact]
    public async Task A_password_instead_of_the_ticket_cache_works_too()
    {
        await kerberos.GetAsync();
        using var cts = Bounded.Cts();
        await using var proxy = new GssapiProxy();
        await using var echo = new EchoServer(IPAddress.Loopback);
        var client = new SocksClient(Hop(proxy.EndPoint, GssapiProtectionLevel.Integrity, credential: new NetworkCredential("bob", "bob-pw-1")));
        await using var stream = await client.ConnectStreamAsync(echo.EndPoint, cts.Token);
        await AssertEchoAsync(stream, 10_000, cts.Token);
        Assert.StartsWith("bob@", Assert.Single(proxy.Sessions).Client, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nec_style_sends_the_protection_octet_unwrapped()
    {
        await kerberos.GetAsync();
        using var cts = Bounded.Cts();
        await using var proxy = new GssapiProxy { Nec = true };
        await using var echo = new EchoServer(IPAddress.Loopback);
        var client = new SocksClient(Hop(proxy.EndPoint, GssapiProtectionLevel.Confidentiality, nec: true));
        await using var stream = await client.ConnectStreamAsync(echo.EndPoint, cts.Token);
        await AssertEchoAsync(stream, 10_000, cts.Token);
        Assert.Empty(proxy.Failures);
    }

    [Fact]
    public async Task A_lower_level_than_required_is_refused()
    {
        await kerberos.GetAsync();
        using var cts = Bounded.Cts();
        await using var proxy = new GssapiProxy { Grant = _ => GssapiProtectionLevel.Integrity };
        var client = new SocksClient(Hop(proxy.EndPoint, GssapiProtectionLevel.Confidentiality));
        var e = await Assert.ThrowsAsync<SocksException>(() => client.ConnectStreamAsync(new IPEndPoint(IPAddress.Loopback, 9), cts.Token));
        Assert.Equal(SocksErrorKind.InsufficientProtection, e.Kind);
        Assert.Equal((int)GssapiProtectionLevel.Integrity, e.ReplyCode);
        Assert.Contains("'integrity', below the required 'confidentiality'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_higher_level_than_asked_is_taken_and_then_only_a_stream_carries_it()
    {
        await kerberos.GetAsync();
        using var cts = Bounded.Cts();
        await using var proxy = new GssapiProxy { Grant = _ => GssapiProtectionLevel.Confidentiality };
        await using var echo = new EchoServer(IPAddress.Loopback);
        var client = new SocksClient(Hop(proxy.EndPoint, GssapiProtectionLevel.Clear));
        var stream = Assert.IsType<GssapiStream>(await client.ConnectStreamAsync(echo.EndPoint, cts.Token));
        await using (stream)
        {
            Assert.Equal(ProtectionLevel.EncryptAndSign, stream.Protection);
            await AssertEchoAsync(stream, 1000, cts.Token);
        }

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => client.ConnectAsync(echo.EndPoint, cts.Token));
        Assert.Contains("ConnectStreamAsync", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_abort_during_context_establishment_is_reported_as_such()
    {
        await kerberos.GetAsync();
        using var cts = Bounded.Cts();
        await using var proxy = new GssapiProxy { AbortContext = true };
        var client = new SocksClient(Hop(proxy.EndPoint, GssapiProtectionLevel.Integrity));
        var e = await Assert.ThrowsAsync<SocksException>(() => client.ConnectStreamAsync(new IPEndPoint(IPAddress.Loopback, 9), cts.Token));
        Assert.Equal(SocksErrorKind.GssapiAborted, e.Kind);
        Assert.Contains("context establishment", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_service_fails_with_the_status_before_the_proxy_sees_a_token()
    {
        await kerberos.GetAsync();
        using var cts = Bounded.Cts();
        await using var proxy = new GssapiProxy();
        var client = new SocksClient(new ProxyHop(proxy.EndPoint) { Gssapi = new SocksGssapiOptions { TargetName = "nosuch/localhost" } });
        var e = await Assert.ThrowsAsync<SocksException>(() => client.ConnectStreamAsync(new IPEndPoint(IPAddress.Loopback, 9), cts.Token));
        Assert.Equal(SocksErrorKind.GssapiFailed, e.Kind);
        Assert.NotNull(e.ReplyMeaning);
        Assert.Contains("nosuch/localhost", e.Message, StringComparison.Ordinal);
        Assert.Empty(proxy.Sessions);
    }

    [Fact]
    public async Task ConnectAsync_on_a_protecting_hop_says_to_use_ConnectStreamAsync_before_connecting()
    {
        var client = new SocksClient(new ProxyHop("127.0.0.1", 1) { Gssapi = new SocksGssapiOptions() });
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => client.ConnectAsync("example.org", 80, TestContext.Current.CancellationToken));
        Assert.Contains("ConnectStreamAsync", e.Message, StringComparison.Ordinal);
        Assert.Contains("confidentiality", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_reject_what_cannot_be_asked()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SocksGssapiOptions { Protection = (ProtectionLevel)3 });
        Assert.Throws<ArgumentException>(() => new SocksGssapiOptions { ServiceName = "rcmd/host" });
        Assert.Throws<ArgumentException>(() => new ProxyHop("127.0.0.1", 1080, SocksProtocol.Socks4a) { Gssapi = new SocksGssapiOptions() });
        Assert.Equal("rcmd", new SocksGssapiOptions().ServiceName);
        Assert.Equal(ProtectionLevel.EncryptAndSign, new SocksGssapiOptions().Protection);
    }

    public static TheoryData<GssapiProtectionLevel, bool, byte[]> Greetings => new()
    {
        // Protection required: GSSAPI alone, then Windsock's reason method (0xE0 never chosen by others).
        { GssapiProtectionLevel.Confidentiality, false, [5, 2, 1, Windsock.Protocol.Socks5.DenialReason.MethodCode] },
        { GssapiProtectionLevel.Integrity, true, [5, 2, 1, Windsock.Protocol.Socks5.DenialReason.MethodCode] },
        // Clear: GSSAPI first, then username/password when set, then none.
        { GssapiProtectionLevel.Clear, false, [5, 3, 1, 0, Windsock.Protocol.Socks5.DenialReason.MethodCode] },
        { GssapiProtectionLevel.Clear, true, [5, 4, 1, 2, 0, Windsock.Protocol.Socks5.DenialReason.MethodCode] },
    };

    [Theory]
    [MemberData(nameof(Greetings))]
    public async Task The_greeting_offers_gssapi_first_and_alone_when_it_must_protect(GssapiProtectionLevel level, bool withPassword, byte[] expected)
    {
        using var cts = Bounded.Cts();
        await using var peer = new ScriptedPeer();
        var hop = new ProxyHop(peer.EndPoint)
        {
            Gssapi = new SocksGssapiOptions { Protection = level.ToPublic() },
            Credentials = withPassword ? new SocksCredentials("bob", "secret") : null,
        };
        var connecting = new SocksClient(hop).ConnectStreamAsync(new IPEndPoint(IPAddress.Loopback, 9), cts.Token);
        await peer.ExpectAsync(expected, cts.Token);
        await peer.SendAsync([5, 0xFF], cts.Token);
        var e = await Assert.ThrowsAsync<SocksException>(() => connecting);
        Assert.Equal(SocksErrorKind.NoAcceptableAuthMethod, e.Kind);
        Assert.Contains("GSSAPI", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_protection_required_a_proxy_choosing_no_authentication_is_refused()
    {
        using var cts = Bounded.Cts();
        await using var peer = new ScriptedPeer();
        var connecting = new SocksClient(new ProxyHop(peer.EndPoint) { Gssapi = new SocksGssapiOptions() }).ConnectStreamAsync(new IPEndPoint(IPAddress.Loopback, 9), cts.Token);
        await peer.ExpectAsync([5, 2, 1, Windsock.Protocol.Socks5.DenialReason.MethodCode], cts.Token);
        await peer.SendAsync([5, 0], cts.Token);
        var e = await Assert.ThrowsAsync<SocksException>(() => connecting);
        Assert.Equal(SocksErrorKind.ProtocolViolation, e.Kind);
        Assert.True(await peer.ClientClosedAsync(cts.Token));
    }

    [Fact]
    public async Task A_chain_of_two_protecting_proxies_wraps_twice_and_carries_data()
    {
        await kerberos.GetAsync();
        using var cts = Bounded.Cts();
        await using var first = new GssapiProxy();
        await using var second = new GssapiProxy();
        await using var echo = new EchoServer(IPAddress.Loopback);
        var chain = new ProxyChain(Hop(first.EndPoint, GssapiProtectionLevel.Confidentiality), Hop(second.EndPoint, GssapiProtectionLevel.Integrity));
        await using var stream = await new SocksClient(chain).ConnectStreamAsync(echo.EndPoint, cts.Token);
        Assert.Equal(ProtectionLevel.Sign, Assert.IsType<GssapiStream>(stream).Protection);
        await AssertEchoAsync(stream, 200_000, cts.Token);
        Assert.Single(first.Sessions);
        Assert.Single(second.Sessions);
    }

    [Fact]
    public async Task HttpClient_fetches_byte_exact_through_a_confidential_proxy()
    {
        await kerberos.GetAsync();
        using var cts = Bounded.Cts();
        await using var proxy = new GssapiProxy();
        var body = new byte[300_000];
        new Random(3).NextBytes(body);
        await using var web = new HttpResponder(body);
        using var http = new HttpClient(new SocksHttpHandler(new ProxyChain(Hop(proxy.EndPoint, GssapiProtectionLevel.Confidentiality))));
        var fetched = await http.GetByteArrayAsync(new Uri($"http://127.0.0.1:{web.EndPoint.Port}/"), cts.Token);
        Assert.Equal(body, fetched);
        Assert.Equal(GssapiProtectionLevel.Confidentiality, Assert.Single(proxy.Sessions).Asked);
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public async Task Udp_datagrams_are_wrapped_each_way_when_protected(GssapiProtectionLevel level)
    {
        await kerberos.GetAsync();
        using var cts = Bounded.Cts();
        await using var proxy = new GssapiProxy();
        await using var echo = new UdpEcho();
        await using var udp = await new SocksClient(Hop(proxy.EndPoint, level)).AssociateUdpAsync(cts.Token);
        for (int i = 0; i < 5; i++)
        {
            var payload = new byte[100 + (i * 1000)];
            new Random(i).NextBytes(payload);
            await udp.SendAsync(payload, echo.EndPoint(IPAddress.Loopback), cts.Token);
            var datagram = await udp.ReceiveAsync(cts.Token);
            Assert.Equal(payload, datagram.Payload.ToArray());
            Assert.Equal(echo.EndPoint(IPAddress.Loopback), datagram.RemoteEndPoint);
        }

        Assert.Empty(proxy.Failures);
    }

    [Fact]
    public async Task Bind_over_a_protected_connection_gives_the_peer_as_a_stream()
    {
        await kerberos.GetAsync();
        using var cts = Bounded.Cts();
        await using var proxy = new GssapiProxy();
        await using var bind = await new SocksClient(Hop(proxy.EndPoint, GssapiProtectionLevel.Confidentiality)).BindAsync(new IPEndPoint(IPAddress.Loopback, 0), cts.Token);
        await Assert.ThrowsAsync<InvalidOperationException>(() => bind.AcceptAsync(cts.Token));

        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await peer.ConnectAsync(bind.ListenEndPoint, cts.Token);
        await using var stream = await bind.AcceptStreamAsync(cts.Token);
        Assert.IsType<GssapiStream>(stream);
        Assert.Equal(peer.LocalEndPoint, bind.RemoteEndPoint);

        await peer.SendAsync("from the peer"u8.ToArray(), SocketFlags.None, cts.Token);
        var buffer = new byte[13];
        await stream.ReadExactlyAsync(buffer, cts.Token);
        Assert.Equal("from the peer"u8.ToArray(), buffer);
        await stream.WriteAsync("to the peer"u8.ToArray(), cts.Token);
        Assert.Equal("to the peer"u8.ToArray(), await Echo.ReadExactlyAsync(peer, 11, cts.Token));
    }

    private static async Task AssertEchoAsync(Stream stream, int size, CancellationToken cancellationToken)
    {
        var payload = new byte[size];
        new Random(size).NextBytes(payload);
        var sending = Task.Run(async () =>
        {
            await stream.WriteAsync(payload, cancellationToken);
            switch (stream)
            {
                case GssapiStream gssapi:
                    gssapi.CompleteWrites();
                    break;
                case NetworkStream network:
                    network.Socket.Shutdown(SocketShutdown.Send);
                    break;
            }
        }, cancellationToken);
        var received = new byte[size];
        await stream.ReadExactlyAsync(received, cancellationToken);
        await sending;
        Assert.Equal(payload, received);
        Assert.Equal(0, await stream.ReadAsync(new byte[1], cancellationToken));
    }
}
