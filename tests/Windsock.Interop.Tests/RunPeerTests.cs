using System.Globalization;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// proxychains4 (proxychains-ng) and Dante's socksify in the setting of the windsock run tests,
/// pinning what they do today so that docs/client-tools.md's table stays true: a change in a peer
/// makes one of these fail.
/// </summary>
public sealed partial class RunTests
{
    private const string Proxychains = "/usr/bin/proxychains4";

    [Fact]
    public async Task Proxychains_fetches_by_name_with_proxy_dns()
    {
        Assert.SkipUnless(File.Exists(Proxychains), "needs Debian's proxychains4 (test.sh installs it)");
        const int Size = 90_001;
        ProcessResult curl = await fixture.Namespaces.RunInClientAsync([Proxychains, "-q", "-f", await ProxychainsConfigAsync(), Tools.Curl, "-sS", fixture.SiteUrl(Size)]);

        Assert.True(curl.ExitCode == 0 && curl.Stdout.AsSpan().SequenceEqual(RunFixture.Pattern(Size)), curl.Describe());
        await ExpectProxiedAsync(Size, count: 1);
    }

    [Fact]
    public async Task Proxychains_answers_names_with_multicast_addresses()
    {
        Assert.SkipUnless(File.Exists(Proxychains), "needs Debian's proxychains4 (test.sh installs it)");
        ProcessResult python = await fixture.Namespaces.RunInClientAsync([Proxychains, "-q", "-f", await ProxychainsConfigAsync(), Tools.Python, "-c", $"import socket; print(socket.gethostbyname('{RunFixture.SiteName}'))"]);

        Assert.True(python.ExitCode == 0, python.Describe());
        var address = System.Net.IPAddress.Parse(python.StdoutText.Trim());
        Assert.True(System.Net.IPNetwork.Parse("224.0.0.0/4").Contains(address), $"proxychains' fake address is no longer multicast: {address}");
    }

    [Fact]
    public async Task Proxychains_cannot_reach_a_static_program()
    {
        Assert.SkipUnless(File.Exists(Proxychains), "needs Debian's proxychains4 (test.sh installs it)");
        ProcessResult wget = await fixture.Namespaces.RunInClientAsync([Proxychains, "-q", "-f", await ProxychainsConfigAsync(), Tools.Busybox, "wget", "-q", "-O", "-", fixture.SiteUrl(10)]);

        Assert.True(wget.ExitCode != 0 && wget.Stdout.Length == 0, $"busybox-static under proxychains4 should fail (it bypasses the preload)\n{wget.Describe()}");
    }

    [Fact]
    public async Task Socksify_fetches_by_name()
    {
        Assert.SkipUnless(File.Exists(Tools.Socksify), "needs Debian's dante-client (test.sh installs it)");
        const int Size = 90_011;
        ProcessResult curl = await SocksifyAsync([Tools.Curl, "-sS", fixture.SiteUrl(Size)]);

        Assert.True(curl.ExitCode == 0 && curl.Stdout.AsSpan().SequenceEqual(RunFixture.Pattern(Size)), curl.Describe());
        await ExpectProxiedAsync(Size, count: 1);
    }

    [Fact]
    public async Task Socksify_cannot_reach_a_static_program()
    {
        Assert.SkipUnless(File.Exists(Tools.Socksify), "needs Debian's dante-client (test.sh installs it)");
        ProcessResult wget = await SocksifyAsync([Tools.Busybox, "wget", "-q", "-O", "-", fixture.SiteUrl(10)]);

        Assert.True(wget.ExitCode != 0 && wget.Stdout.Length == 0, $"busybox-static under socksify should fail (it bypasses the preload)\n{wget.Describe()}");
    }

    private async Task<string> ProxychainsConfigAsync()
    {
        string path = Path.Combine(fixture.Directory, "proxychains.conf");
        await File.WriteAllTextAsync(path, string.Create(CultureInfo.InvariantCulture, $"""
            strict_chain
            proxy_dns
            remote_dns_subnet 224
            tcp_read_time_out 15000
            tcp_connect_time_out 8000
            [ProxyList]
            socks5 {NetworkNamespacePair.ProxyAddress} {fixture.Server.IPv4.Port}
            """), TestContext.Current.CancellationToken);
        return path;
    }

    private async Task<ProcessResult> SocksifyAsync(string[] command)
    {
        string path = Path.Combine(fixture.Directory, "socks.conf");
        await File.WriteAllTextAsync(path, string.Create(CultureInfo.InvariantCulture, $$"""
            resolveprotocol: fake
            route {
                from: 0.0.0.0/0 to: 0.0.0.0/0 via: {{NetworkNamespacePair.ProxyAddress}} port = {{fixture.Server.IPv4.Port}}
                proxyprotocol: socks_v5
                method: none
                protocol: tcp
            }
            """), TestContext.Current.CancellationToken);
        return await fixture.Namespaces.RunInClientAsync([Tools.Socksify, .. command], environment: new Dictionary<string, string> { ["SOCKS_CONF"] = path });
    }
}
