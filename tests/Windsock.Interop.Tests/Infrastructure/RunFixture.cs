using System.Globalization;
using System.Security.Cryptography;
using Xunit;

namespace Windsock.Interop.Tests.Infrastructure;

/// <summary>
/// For the <c>windsock run</c> tests: a <see cref="NetworkNamespacePair"/>; on the proxy side a
/// Windsock server (in a private mount namespace whose /etc/hosts alone knows <see cref="SiteName"/>)
/// and the local site (python/netns_site.py on the proxy side's loopback); programs run on the client
/// side, which can reach nothing but the proxy and has no resolver. A program that fetched the site
/// can only have done so through the proxy, and the server's request log shows it.
/// </summary>
public sealed class RunFixture : IAsyncLifetime
{
    public const string SiteName = "windsock-only.test";

    /// <summary>The server denies this name with <see cref="ServerReason"/>.</summary>
    public const string ForbiddenName = "forbidden.test";

    public const string ServerReason = "forbidden.test is off limits in this test";

    private readonly TempDirectory _dir = new();
    private readonly Dictionary<bool, Task<string>> _goPrograms = [];
    private NetworkNamespacePair? _namespaces;
    private WindsockProcess? _server;
    private BackgroundCommand? _site;

    public NetworkNamespacePair Namespaces => Ready(_namespaces);

    public WindsockProcess Server => Ready(_server);

    public int SitePort { get; private set; }

    /// <summary>The proxy URL as a user would give it to windsock run.</summary>
    public string Proxy => string.Create(CultureInfo.InvariantCulture, $"socks5h://{NetworkNamespacePair.ProxyAddress}:{Server.IPv4.Port}");

    public string Directory => _dir.Path;

    public string SiteUrl(int bytes) => string.Create(CultureInfo.InvariantCulture, $"http://{SiteName}:{SitePort}/bytes/{bytes}");

    /// <summary>`windsock run ARGS` on the client side.</summary>
    public Task<ProcessResult> WindsockRunAsync(IEnumerable<string> args, byte[]? stdin = null, TimeSpan? timeout = null) =>
        Namespaces.RunInClientAsync([Tools.Dotnet, Tools.WindsockDll, "run", .. args], stdin, timeout, new Dictionary<string, string> { ["DOTNET_NOLOGO"] = "1" });

    /// <summary>
    /// go/fetch.go built with Debian's golang-go: <paramref name="cgo"/> false gives a static program with
    /// Go's own resolver, true a cgo program using libc's (-tags netcgo). Built once per fixture.
    /// </summary>
    public Task<string> GoFetchAsync(bool cgo)
    {
        lock (_goPrograms)
        {
            if (!_goPrograms.TryGetValue(cgo, out Task<string>? built))
            {
                built = BuildGoAsync(cgo);
                _goPrograms[cgo] = built;
            }

            return built;
        }
    }

    private async Task<string> BuildGoAsync(bool cgo)
    {
        string output = Path.Combine(_dir.Path, cgo ? "fetch-cgo" : "fetch-static");
        string source = Path.Combine(AppContext.BaseDirectory, "go", "fetch.go");
        string[] args = cgo ? ["build", "-tags", "netcgo", "-o", output, source] : ["build", "-o", output, source];
        ProcessResult go = await ProcessRunner.RunAsync(Tools.Go, args, timeout: TimeSpan.FromMinutes(5), environment: new Dictionary<string, string>
        {
            ["CGO_ENABLED"] = cgo ? "1" : "0",
            ["GOCACHE"] = Path.Combine(_dir.Path, "gocache"),
            ["GOPATH"] = Path.Combine(_dir.Path, "gopath"),
            ["GO111MODULE"] = "off",
            ["GOFLAGS"] = "",
        });
        Assert.True(go.ExitCode == 0, $"go build (Debian's golang-go) failed\n{go.Describe()}");
        return output;
    }

    /// <summary>What the site answers for /bytes/N: byte i is (i*31 + (i >> 8)) &amp; 255.</summary>
    public static byte[] Pattern(int length)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)((i * 31) + (i >> 8));
        }

        return bytes;
    }

    public static string PatternSha256(int length) => Convert.ToHexStringLower(SHA256.HashData(Pattern(length)));

    public async ValueTask InitializeAsync()
    {
        _namespaces = await NetworkNamespacePair.CreateAsync();
        if (_namespaces.SkipReason is not null)
        {
            return;
        }

        string hosts = Path.Combine(_dir.Path, "hosts");
        await File.WriteAllTextAsync(hosts, $"127.0.0.1 localhost\n127.0.0.1 {SiteName}\n127.0.0.1 {ForbiddenName}\n");
        string config = Path.Combine(_dir.Path, "windsock.toml");
        await File.WriteAllTextAsync(config, $"""
            [server]
            listen = ["{NetworkNamespacePair.ProxyAddress}:0"]
            allowed_clients = ["{NetworkNamespacePair.ClientAddress}/32"]

            # BIND listens where the site's peers (on the proxy side's loopback) connect back to.
            [bind]
            address = "127.0.0.1"

            [[rule]]
            name = "forbidden"
            action = "deny"
            to = ["{ForbiddenName}"]
            reason = "{ServerReason}"

            [[rule]]
            name = "the site"
            action = "allow"
            to = ["127.0.0.0/8"]
            """);
        _server = await WindsockProcess.StartAsync(["--config", config], hosts, environment: null, networkNamespace: _namespaces.Proxy);
        _site = BackgroundCommand.Start(Tools.Ip, ["netns", "exec", _namespaces.Proxy, Tools.Python, Path.Combine(Tools.PythonDirectory, "netns_site.py")]);
        string line = await _site.WaitForLineAsync(l => l.StartsWith("listening ", StringComparison.Ordinal), "the site's listening line");
        SitePort = int.Parse(line["listening ".Length..], CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        if (_site is not null)
        {
            await _site.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_namespaces is not null)
        {
            await _namespaces.DisposeAsync();
        }

        _dir.Dispose();
    }

    private T Ready<T>(T? value)
        where T : class
    {
        _namespaces?.SkipUnlessReady();
        return value ?? throw new InvalidOperationException("not started");
    }
}
