using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>`windsock check` on a node behind a balancer: what proxy_protocol_from does, and the two mistakes it warns about.</summary>
public sealed class BalancerCheckTests
{
    private static async Task<ProcessResult> CheckAsync(string toml)
    {
        using var dir = new TempDirectory();
        string config = Path.Combine(dir.Path, "windsock.toml");
        await File.WriteAllTextAsync(config, toml, TestContext.Current.CancellationToken);
        return await ProcessRunner.RunAsync(Tools.Dotnet, [Tools.WindsockDll, "check", "--config", config], timeout: TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Explains_the_balancer_networks_and_warns_about_direct_clients_and_udp()
    {
        var result = await CheckAsync("""
            [server]
            listen = ["0.0.0.0:1080"]
            allowed_clients = ["10.0.0.0/8"]
            proxy_protocol_from = ["10.0.0.5/32"]
            """);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("proxy_protocol_from: connections from 10.0.0.5/32 must start with a PROXY protocol header (v1 or v2) within 10s", result.StdoutText, StringComparison.Ordinal);
        Assert.Contains("warning: 10.0.0.5/32 (server.proxy_protocol_from) overlaps 10.0.0.0/8 (server.allowed_clients)", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("set udp.advertised_address", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_separate_balancer_network_and_an_advertised_address_need_no_warning()
    {
        var result = await CheckAsync("""
            [server]
            listen = ["0.0.0.0:1080"]
            allowed_clients = ["10.1.0.0/16"]
            proxy_protocol_from = ["10.0.0.5/32"]

            [udp]
            advertised_address = "10.2.0.11"
            """);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("proxy_protocol_from:", result.StdoutText, StringComparison.Ordinal);
        Assert.Equal(string.Empty, result.Stderr);
    }

    [Fact]
    public async Task Everyone_as_a_balancer_is_a_located_error()
    {
        var result = await CheckAsync("[server]\nproxy_protocol_from = [\"0.0.0.0/0\"]\n");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("windsock.toml:2:", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("claim any client address", result.Stderr, StringComparison.Ordinal);
    }
}
