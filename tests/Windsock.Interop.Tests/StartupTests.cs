using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>`windsock serve` refuses bad configurations before binding anything, naming where and how to fix.</summary>
[Trait("Needs", "windsock-serve")]
public sealed class StartupTests
{
    private static Task<ProcessResult> ServeAsync(params string[] args) =>
        ProcessRunner.RunAsync(Tools.Dotnet, [Tools.WindsockDll, "serve", .. args], timeout: TimeSpan.FromSeconds(60));

    [Fact]
    public async Task Listening_beyond_loopback_without_authentication_refuses_to_start()
    {
        var result = await ServeAsync("--listen", "0.0.0.0:0");

        Assert.Equal(2, result.ExitCode);
        Assert.True(result.StderrMentions("--listen"), result.Describe());
        Assert.True(result.StderrMentions("allow_open_proxy"), result.Describe());
        Assert.True(result.StderrMentions("users"), result.Describe());
    }

    [Fact]
    public async Task A_config_error_names_file_line_and_column()
    {
        using var dir = new TempDirectory();
        var config = Path.Combine(dir.Path, "windsock.toml");
        await File.WriteAllTextAsync(config, "[server]\nlisten = [\"127.0.0.1:0\"]\nidle_timout = \"5m\"\n", TestContext.Current.CancellationToken);

        var result = await ServeAsync("--config", config);

        Assert.Equal(2, result.ExitCode);
        Assert.True(result.StderrMentions($"{config}:3:1"), result.Describe());
        Assert.True(result.StderrMentions("idle_timeout"), result.Describe()); // the "did you mean" hint
    }

    [Fact]
    public async Task A_missing_users_file_is_a_startup_error()
    {
        using var dir = new TempDirectory();
        var result = await ServeAsync("--listen", "127.0.0.1:0", "--users", Path.Combine(dir.Path, "nope"));

        Assert.Equal(2, result.ExitCode);
        Assert.True(result.StderrMentions("nope"), result.Describe());
    }

    [Fact]
    public async Task A_port_in_use_is_reported_with_the_address()
    {
        await using var first = await WindsockProcess.StartAsync("--listen", "127.0.0.1:0");
        var taken = first.IPv4.ToString();

        var result = await ServeAsync("--listen", taken);

        Assert.Equal(1, result.ExitCode);
        Assert.True(result.StderrMentions($"cannot listen on {taken}"), result.Describe());
    }

    [Fact]
    public async Task A_config_file_is_served_as_written()
    {
        using var dir = new TempDirectory();
        var config = Path.Combine(dir.Path, "windsock.toml");
        await File.WriteAllTextAsync(config, "[server]\nlisten = [\"127.0.0.1:0\"]\nlog_format = \"json\"\n", TestContext.Current.CancellationToken);

        await using var server = await WindsockProcess.StartAsync("--config", config);

        Assert.Single(server.Endpoints);
        Assert.Contains(server.StdoutLines, l => l.StartsWith("{", StringComparison.Ordinal) && l.Contains("\"event\":\"listening\"", StringComparison.Ordinal));
    }
}
