using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// Every configuration shipped in examples/ passes <c>windsock check</c> as shipped, with the files it names
/// (users, groups) from the same folder. Only the install prefix /etc/windsock/ of the packaged configuration is
/// pointed at a copy of the folder, as a test may not write to /etc.
/// </summary>
public sealed class ExampleConfigTests
{
    public static TheoryData<string> Examples() =>
        [.. Directory.GetFiles(Path.Combine(Tools.SourceRoot, "examples"), "*.toml").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task A_shipped_example_passes_check(string example)
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory();
        foreach (string file in Directory.GetFiles(Path.Combine(Tools.SourceRoot, "examples")))
        {
            File.Copy(file, Path.Combine(dir.Path, Path.GetFileName(file)));
        }

        string config = Path.Combine(dir.Path, example);
        string shipped = await File.ReadAllTextAsync(config, ct);
        await File.WriteAllTextAsync(config, shipped.Replace("/etc/windsock/", dir.Path + "/", StringComparison.Ordinal), ct);

        var result = await ProcessRunner.RunAsync(Tools.Dotnet, [Tools.WindsockDll, "check", "--config", config], timeout: TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.StartsWith("configuration OK", result.StdoutText, StringComparison.Ordinal);
        Assert.False(result.StderrMentions("error"), result.Describe());
        Assert.False(result.StderrMentions("names user"), result.Describe());
    }
}
