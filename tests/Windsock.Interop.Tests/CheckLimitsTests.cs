using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>`windsock check` lists the [limits] that would count a request, before the verdict line.</summary>
public sealed class CheckLimitsTests
{
    [Fact]
    public async Task An_allowed_request_lists_the_limits_for_its_user_source_and_rule()
    {
        using var dir = new TempDirectory();
        string config = Path.Combine(dir.Path, "windsock.toml");
        await File.WriteAllTextAsync(config, """
            [server]
            allowed_clients = ["192.0.2.0/24"]
            allow_open_proxy = true
            [limits]
            sessions_per_user = 20
            sessions_per_source = 100
            source_prefix_ipv4 = 24
            bandwidth_per_user_down = "10MiB/s"
            """, TestContext.Current.CancellationToken);

        var result = await ProcessRunner.RunAsync(Tools.Dotnet, [Tools.WindsockDll, "check", "--config", config, "--user", "alice", "--from", "192.0.2.10", "--to", "198.51.100.1:443"], timeout: TimeSpan.FromSeconds(60));

        Assert.Equal(0, result.ExitCode);
        string[] lines = result.StdoutText.TrimEnd('\n').Split('\n');
        Assert.Contains("  sessions_per_user=20 at once for alice", lines);
        Assert.Contains("  sessions_per_source=100 at once for 192.0.2.0/24", lines);
        Assert.Contains("  bandwidth_per_user_down=10MiB/s for alice's sessions together (a paced copy relay instead of splice)", lines);
        Assert.Equal("verdict: allow", lines[^1]);
    }
}
