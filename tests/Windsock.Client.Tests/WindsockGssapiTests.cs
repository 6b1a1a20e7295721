using System.Net;
using System.Net.Sockets;
using Windsock.Client.Http;
using Windsock.Client.Tests.Support;
using Windsock.Protocol.Gssapi;
using Windsock.Server.Configuration;
using Xunit;

namespace Windsock.Client.Tests;

/// <summary>
/// The client's GSSAPI against the real Windsock server in-process, with the server's [gssapi] section
/// pointing at the realm's rcmd/localhost keytab and granting every level.
/// </summary>
public class WindsockGssapiTests(KerberosFixture kerberos)
{
    public static TheoryData<GssapiProtectionLevel> Levels => [GssapiProtectionLevel.Clear, GssapiProtectionLevel.Integrity, GssapiProtectionLevel.Confidentiality];

    private async Task<TestServer> StartAsync(params GssapiProtectionLevel[] protection)
    {
        var realm = await kerberos.GetAsync();
        return TestServer.Start(o => o with
        {
            Gssapi = new GssapiOptions
            {
                Keytab = realm.Keytab,
                Protection = protection.Length > 0 ? protection : [GssapiProtectionLevel.Clear, GssapiProtectionLevel.Integrity, GssapiProtectionLevel.Confidentiality, GssapiProtectionLevel.Selective],
            },
        });
    }

    private static SocksClient Client(TestServer server, GssapiProtectionLevel level) =>
        new(new ProxyHop(server.EndPoint) { Gssapi = new SocksGssapiOptions { TargetName = Kerberos.Target, Protection = level.ToPublic() } });

    [Theory]
    [MemberData(nameof(Levels))]
    public async Task Connect_echoes_a_MiB_byte_exact(GssapiProtectionLevel level)
    {
        using var cts = Bounded.Cts();
        await using var server = await StartAsync();
        await using var echo = new EchoServer(IPAddress.Loopback);
        await using var stream = await Client(server, level).ConnectStreamAsync(echo.EndPoint, cts.Token);
        Assert.Equal(level != GssapiProtectionLevel.Clear, stream is GssapiStream);

        var payload = new byte[1024 * 1024];
        new Random(1961).NextBytes(payload);
        var sending = Task.Run(async () =>
        {
            await stream.WriteAsync(payload, cts.Token);
            (stream as GssapiStream)?.CompleteWrites();
            (stream as NetworkStream)?.Socket.Shutdown(SocketShutdown.Send);
        }, cts.Token);
        var received = new byte[payload.Length];
        await stream.ReadExactlyAsync(received, cts.Token);
        await sending;
        Assert.Equal(payload, received);
        Assert.Equal(0, await stream.ReadAsync(new byte[1], cts.Token));
        await server.WaitForLineAsync(l => l.Contains("alice@", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_server_granting_only_integrity_is_refused_when_confidentiality_is_required()
    {
        using var cts = Bounded.Cts();
        await using var server = await StartAsync(GssapiProtectionLevel.Integrity);
        var e = await Assert.ThrowsAsync<SocksException>(() => Client(server, GssapiProtectionLevel.Confidentiality).ConnectStreamAsync(new IPEndPoint(IPAddress.Loopback, 9), cts.Token));
        Assert.Equal(SocksErrorKind.InsufficientProtection, e.Kind);
        Assert.Equal((int)GssapiProtectionLevel.Integrity, e.ReplyCode);
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public async Task Udp_round_trips_datagrams(GssapiProtectionLevel level)
    {
        using var cts = Bounded.Cts();
        await using var server = await StartAsync();
        await using var echo = new UdpEcho();
        await using var udp = await Client(server, level).AssociateUdpAsync(cts.Token);
        for (int i = 0; i < 5; i++)
        {
            var payload = new byte[10 + (i * 3000)];
            new Random(i).NextBytes(payload);
            await udp.SendAsync(payload, echo.EndPoint(IPAddress.Loopback), cts.Token);
            var datagram = await udp.ReceiveAsync(cts.Token);
            Assert.Equal(payload, datagram.Payload.ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public async Task Bind_accepts_the_peer_as_a_stream(GssapiProtectionLevel level)
    {
        using var cts = Bounded.Cts();
        await using var server = await StartAsync();
        await using var bind = await Client(server, level).BindAsync(new IPEndPoint(IPAddress.Loopback, 0), cts.Token);
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await peer.ConnectAsync(bind.ListenEndPoint, cts.Token);
        await using var stream = await bind.AcceptStreamAsync(cts.Token);
        await peer.SendAsync("from the peer"u8.ToArray(), SocketFlags.None, cts.Token);
        var buffer = new byte[13];
        await stream.ReadExactlyAsync(buffer, cts.Token);
        Assert.Equal("from the peer"u8.ToArray(), buffer);
        await stream.WriteAsync("to the peer"u8.ToArray(), cts.Token);
        Assert.Equal("to the peer"u8.ToArray(), await Echo.ReadExactlyAsync(peer, 11, cts.Token));
    }

    [Fact]
    public async Task HttpClient_fetches_byte_exact_with_confidentiality()
    {
        using var cts = Bounded.Cts();
        await using var server = await StartAsync();
        var body = new byte[500_000];
        new Random(4).NextBytes(body);
        await using var web = new HttpResponder(body);
        using var http = new HttpClient(new SocksHttpHandler(Client(server, GssapiProtectionLevel.Confidentiality)));
        Assert.Equal(body, await http.GetByteArrayAsync(new Uri($"http://127.0.0.1:{web.EndPoint.Port}/"), cts.Token));
    }
}
