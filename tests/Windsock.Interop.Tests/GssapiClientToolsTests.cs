using System.Globalization;
using System.Net;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// `windsock connect --gssapi` and `windsock forward --gssapi` as real processes with alice's ticket cache,
/// against an independent RFC 1961 proxy written with python-gssapi (python/rfc1961_proxy.py), in a
/// throwaway MIT realm on loopback. The proxy is named "localhost" so the principal is rcmd/localhost.
/// </summary>
public sealed class GssapiClientToolsTests(LoopbackTargets targets) : IAsyncLifetime
{
    private KerberosRealm? _realm;
    private Dictionary<string, string> _clientEnv = [];
    private Dictionary<string, string> _proxyEnv = [];

    public async ValueTask InitializeAsync()
    {
        Assert.SkipUnless(KerberosRealm.ToolsInstalled && File.Exists("/usr/lib/python3/dist-packages/gssapi/__init__.py"),
            "needs MIT Kerberos (krb5-kdc, krb5-admin-server, krb5-user) and python3-gssapi; test.sh installs them");
        _realm = await KerberosRealm.StartAsync(TestContext.Current.CancellationToken);
        await _realm.AddUserAsync("alice", "alice-pw-1", TestContext.Current.CancellationToken);
        string keytab = await _realm.AddServiceAsync("rcmd", TestContext.Current.CancellationToken);
        string cache = await _realm.KinitAsync("alice", "alice-pw-1", cancellationToken: TestContext.Current.CancellationToken);
        _clientEnv = new Dictionary<string, string>(_realm.Environment) { ["KRB5CCNAME"] = cache };
        _proxyEnv = new Dictionary<string, string>(_realm.Environment) { ["KRB5_KTNAME"] = $"FILE:{keytab}", ["KRB5RCACHETYPE"] = "none" };
    }

    public async ValueTask DisposeAsync()
    {
        if (_realm is not null)
        {
            await _realm.DisposeAsync();
        }
    }

    private async Task<(BackgroundCommand Proxy, int Port)> StartProxyAsync(params string[] args)
    {
        var proxy = BackgroundCommand.Start(Tools.Python, [Tools.GssapiProxyScript, .. args], _proxyEnv);
        string line = await proxy.WaitForLineAsync(l => l.StartsWith("listening ", StringComparison.Ordinal), "the GSSAPI proxy's listening line");
        return (proxy, int.Parse(line["listening ".Length..], CultureInfo.InvariantCulture));
    }

    private Task<ProcessResult> ConnectAsync(string[] args, byte[] stdin) =>
        ProcessRunner.RunAsync(Tools.Dotnet, [Tools.WindsockDll, "connect", .. args], stdin: stdin, environment: _clientEnv);

    [Theory]
    [InlineData("clear", 0)]
    [InlineData("integrity", 1)]
    [InlineData("confidentiality", 2)]
    public async Task Connect_with_gssapi_echoes_a_MiB_byte_exact(string protection, int level)
    {
        var (proxy, port) = await StartProxyAsync();
        await using (proxy)
        {
            var payload = Clients.Payload(1024 * 1024, seed: 1961 + level);
            var result = await ConnectAsync(
                ["127.0.0.1", targets.Echo.Port.ToString(CultureInfo.InvariantCulture), "--proxy", $"socks5h://localhost:{port}", "--gssapi", "--gssapi-protection", protection, "--verbose"],
                payload);
            Assert.True(result.ExitCode == 0 && result.Stdout.AsSpan().SequenceEqual(payload), $"{result.Describe()}\n{proxy.Transcript()}");
            Assert.True(result.StderrMentions($"granted {protection}"), result.Describe());
            await proxy.WaitForLineAsync(l => l == $"session alice@{KerberosRealm.RealmName} asked {level} granted {level}", "the proxy's session line");
        }
    }

    [Fact]
    public async Task Connect_refuses_a_proxy_that_grants_less_than_required_in_one_line()
    {
        var (proxy, port) = await StartProxyAsync("--grant", "1");
        await using (proxy)
        {
            var result = await ConnectAsync(["127.0.0.1", targets.Echo.Port.ToString(CultureInfo.InvariantCulture), "--proxy", $"socks5h://localhost:{port}", "--gssapi"], []);
            Assert.Equal(1, result.ExitCode);
            Assert.True(result.StderrMentions("granted GSSAPI protection 'integrity', below the required 'confidentiality'"), result.Describe());
        }
    }

    [Fact]
    public async Task A_routing_file_names_gssapi_in_the_proxy_url()
    {
        var (proxy, port) = await StartProxyAsync();
        await using (proxy)
        {
            using var dir = new TempDirectory();
            string file = Path.Combine(dir.Path, "client.toml");
            await File.WriteAllTextAsync(file, $"""
                [[rule]]
                action = "via"
                proxies = ["socks5h://localhost:{port}?gssapi=integrity"]
                """, TestContext.Current.CancellationToken);
            var payload = Clients.Payload(100_000, seed: 1962);
            var result = await ProcessRunner.RunAsync(
                Tools.Dotnet,
                [Tools.WindsockDll, "connect", "127.0.0.1", targets.Echo.Port.ToString(CultureInfo.InvariantCulture)],
                stdin: payload,
                environment: new Dictionary<string, string>(_clientEnv) { ["WINDSOCK_CLIENT_CONFIG"] = file });
            Assert.True(result.ExitCode == 0 && result.Stdout.AsSpan().SequenceEqual(payload), $"{result.Describe()}\n{proxy.Transcript()}");
            await proxy.WaitForLineAsync(l => l.EndsWith("asked 1 granted 1", StringComparison.Ordinal), "the proxy's session line");
        }
    }

    [Fact]
    public async Task Forward_with_gssapi_serves_curl_byte_exact()
    {
        var (proxy, port) = await StartProxyAsync();
        await using (proxy)
        {
            await using var forward = BackgroundCommand.Start(
                Tools.Dotnet,
                [Tools.WindsockDll, "forward", "--listen", "127.0.0.1:0", "--to", $"127.0.0.1:{targets.Http.Port}", "--proxy", $"socks5h://localhost:{port}", "--gssapi"],
                _clientEnv);
            IPEndPoint local = await forward.ListeningEndPointAsync();
            var curl = await ProcessRunner.RunAsync(Tools.Curl, ["-sS", "--max-time", "30", $"http://{local}/"]);
            Assert.True(curl.ExitCode == 0 && Clients.Sha256(curl.Stdout) == targets.Http.BodySha256, $"{curl.Describe()}\n{forward.Transcript()}\n{proxy.Transcript()}");
        }
    }

    [Fact]
    public async Task Gssapi_flags_without_proxy_say_where_to_write_it()
    {
        var result = await ConnectAsync(["127.0.0.1", "9", "--gssapi"], []);
        Assert.Equal(1, result.ExitCode);
        Assert.True(result.StderrMentions("?gssapi"), result.Describe());
    }
}
