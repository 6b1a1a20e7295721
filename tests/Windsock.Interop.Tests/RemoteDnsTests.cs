using System.Net;
using System.Net.Sockets;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// The server runs in a private mount namespace whose /etc/hosts alone maps
/// <see cref="Name"/> to 127.0.0.1: clients that send the name (socks5h, SOCKS4a) must succeed
/// while the same name cannot be resolved on the client side — proof that the server resolves.
/// </summary>
public sealed class RemoteDnsFixture : IAsyncLifetime
{
    public const string Name = "windsock-only.test";

    /// <summary>Resolves to ::1 first (RFC 6724 prefers it) and then 127.0.0.1.</summary>
    public const string TwoAddressName = "two-addresses.test";

    private readonly TempDirectory _dir = new();
    private WindsockProcess? _server;

    public string? SkipReason { get; private set; }

    public WindsockProcess Server => _server ?? throw new InvalidOperationException("not started");

    public async ValueTask InitializeAsync()
    {
        var hosts = Path.Combine(_dir.Path, "hosts");
        await File.WriteAllTextAsync(hosts, $"127.0.0.1 localhost\n::1 localhost ip6-localhost\n127.0.0.1 {Name}\n::1 {TwoAddressName}\n127.0.0.1 {TwoAddressName}\n");

        var probe = await ProcessRunner.RunAsync(Tools.Unshare,
            ["--mount", "sh", "-c", "mount --bind \"$0\" /etc/hosts && getent hosts " + Name, hosts],
            timeout: TimeSpan.FromSeconds(30));
        if (probe.ExitCode != 0)
        {
            SkipReason = "cannot make a private mount namespace with its own /etc/hosts here "
                + $"(needs root and unshare --mount); remote DNS is not proven\n{probe.Describe()}";
            return;
        }
        _server = await WindsockProcess.StartAsync(["--listen", "127.0.0.1:0"], hostsFile: hosts);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        _dir.Dispose();
    }
}

[Trait("Needs", "windsock-serve")]
public sealed class RemoteDnsTests(LoopbackTargets targets, RemoteDnsFixture fixture) : IClassFixture<RemoteDnsFixture>
{
    private LoopbackHttpServer Http => targets.Http;
    private string Url => Http.Url(RemoteDnsFixture.Name);

    private WindsockProcess Server
    {
        get
        {
            if (fixture.SkipReason is { } reason)
            {
                Assert.Skip(reason);
            }
            return fixture.Server;
        }
    }

    [Fact]
    public async Task Name_does_not_resolve_here()
    {
        _ = Server;
        await Assert.ThrowsAnyAsync<SocketException>(() => Dns.GetHostAddressesAsync(RemoteDnsFixture.Name, TestContext.Current.CancellationToken));
        var direct = await Clients.CurlAsync(Url);
        Assert.True(direct.ExitCode == 6, $"direct curl should fail to resolve (exit 6)\n{direct.Describe()}");
    }

    [Fact]
    public async Task Socks5_with_local_resolution_fails_to_resolve()
    {
        var result = await Clients.CurlAsync(Url, "--socks5", Clients.HostPort(Server.IPv4));
        // curl 7.88 reports this as CURLE_PROXY (97) "Could not resolve host"; older ones as 6.
        Assert.True(result.ExitCode != 0 && result.StderrMentions("resolve"),
            $"curl --socks5 resolves locally and should fail to resolve\n{result.Describe()}");
    }

    [Fact]
    public async Task Curl_socks5h_resolves_on_the_server() =>
        Expect.Body(await Clients.CurlAsync(Url, "-x", $"socks5h://{Clients.HostPort(Server.IPv4)}"), Http, Server);

    [Fact]
    public async Task Curl_socks4a_resolves_on_the_server() =>
        Expect.Body(await Clients.CurlAsync(Url, "--socks4a", Clients.HostPort(Server.IPv4)), Http, Server);

    [Fact]
    public async Task PySocks_socks5_rdns_resolves_on_the_server() =>
        Expect.PySocksBody(await Clients.PySocksGetAsync(5, Server.IPv4, RemoteDnsFixture.Name, Http.Port, rdns: true), Http, Server);

    [Fact]
    public async Task HttpClient_socks5_resolves_on_the_server() =>
        await HttpClientProbe.AssertFetchAsync(new WebProxy($"socks5://{Clients.HostPort(Server.IPv4)}"), Url, Http, Server);

    [Fact]
    public async Task Each_address_of_a_name_is_tried_in_turn()
    {
        // A target on 127.0.0.1 only: the first address (::1) is refused, the second must be tried.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var serving = Task.Run(async () =>
        {
            using var peer = await listener.AcceptTcpClientAsync(TestContext.Current.CancellationToken);
            var stream = peer.GetStream();
            var request = new byte[4096];
            _ = await stream.ReadAsync(request, TestContext.Current.CancellationToken);
            await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 11\r\nConnection: close\r\n\r\nsecond-addr"u8.ToArray(), TestContext.Current.CancellationToken);
        });

        var curl = await Clients.CurlAsync($"http://{RemoteDnsFixture.TwoAddressName}:{port}/", "--socks5-hostname", Clients.HostPort(Server.IPv4));

        Assert.True(curl.ExitCode == 0, curl.Describe() + "\n" + Server.Transcript());
        Assert.Equal("second-addr", curl.StdoutText);
        await serving.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        await Server.WaitForLineAsync(l => l.Contains($"connected=127.0.0.1:{port}", StringComparison.Ordinal), "the session connected to the second address");
    }
}
