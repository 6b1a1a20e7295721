using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Xml.Linq;
using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// Windsock.Client as a user gets it: `dotnet pack`, a folder feed, a new console project outside the
/// repository with one PackageReference, restored offline (the feed plus the NuGet cache the solution's
/// restore filled, read as a source; a private packages folder), then CONNECT, HttpClient, UDP and BIND
/// against `windsock serve`. The same project compiles every C# sample of docs/client-library.md and the
/// package README, so the docs cannot name an API the package does not have.
/// </summary>
[Trait("Needs", "windsock-serve")]
public sealed class PackageConsumerTests
{
    private static readonly TimeSpan Step = TimeSpan.FromMinutes(5);

    private static readonly string[] DocFiles = ["docs/client-library.md", "docs/client-tools.md", "src/Windsock.Client/README.md"];

    [Fact]
    public async Task The_packed_library_installs_alone_and_runs_connect_http_udp_and_bind_against_windsock_serve()
    {
        using var dir = new TempDirectory();
        string feed = Directory.CreateDirectory(Path.Combine(dir.Path, "feed")).FullName;
        string app = Directory.CreateDirectory(Path.Combine(dir.Path, "app")).FullName;

        var pack = await ProcessRunner.RunAsync(Tools.Dotnet,
            ["pack", Path.Combine(Tools.SourceRoot, "src", "Windsock.Client"), "-c", "Release", "-o", feed, "--nologo"], timeout: Step);
        Assert.True(pack.ExitCode == 0, pack.Describe());
        string nupkg = Assert.Single(Directory.GetFiles(feed, "Windsock.Client.*.nupkg"));
        string version = Path.GetFileNameWithoutExtension(nupkg)["Windsock.Client.".Length..];
        AssertPackageMetadata(nupkg, Path.ChangeExtension(nupkg, ".snupkg"));

        // The consumer: nothing from the repository but the program and the docs' samples.
        string consumer = Path.Combine(Tools.SourceRoot, "tests", "Windsock.Interop.Tests", "PackageConsumer");
        await File.WriteAllTextAsync(Path.Combine(app, "Consumer.csproj"), await File.ReadAllTextAsync(Path.Combine(consumer, "Consumer.csproj.txt")));
        File.Copy(Path.Combine(consumer, "Program.cs"), Path.Combine(app, "Program.cs"));
        string samples = DocSamples.Generate(Tools.SourceRoot, DocFiles);
        await File.WriteAllTextAsync(Path.Combine(app, "DocSamples.g.cs"), samples);
        string cache = await GlobalPackagesFolderAsync();
        await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="feed" value="{feed}" />
                <add key="cache" value="{cache}" />
              </packageSources>
            </configuration>
            """);

        // A private packages folder: the Windsock.Client restored is the one just packed, never an older copy.
        var environment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(dir.Path, "packages") };
        var build = await ProcessRunner.RunAsync(Tools.Dotnet,
            ["build", app, "-c", "Release", $"-p:WindsockClientVersion={version}", "--nologo"], timeout: Step, environment: environment);
        Assert.True(build.ExitCode == 0, $"the consumer (or a doc sample, see its doc:line) does not build\n{build.Describe()}");
        Assert.True(DocSamples.CountIn(samples) >= 10, $"only {DocSamples.CountIn(samples)} samples found in {string.Join(", ", DocFiles)}");

        await using var server = await WindsockProcess.StartAsync("--listen", "127.0.0.1:0");
        await using var echo = new LoopbackEchoServer();
        await using var http = new LoopbackHttpServer(bodyLength: 200_000);
        await using var udp = new UdpEcho(IPAddress.Loopback, IPAddress.IPv6Loopback);
        int closed = ClosedPort();
        var run = await ProcessRunner.RunAsync(Tools.Dotnet,
            [Path.Combine(app, "bin", "Release", "net10.0", "Consumer.dll"), "127.0.0.1", Port(server.IPv4.Port), Port(echo.Port), Port(http.Port), Port(udp.Port), Port(closed)]);

        Assert.True(run.ExitCode == 0, $"{run.Describe()}\n{server.Transcript()}");
        string[] lines = run.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(
            ["CONNECT ok", $"HTTP ok {http.Body.Length} {http.BodySha256}", $"UDP ok from 127.0.0.1:{udp.Port}", "BIND ok peer", "REFUSED 5 connection refused"],
            lines.Select(l => l.StartsWith("BIND ok peer", StringComparison.Ordinal) ? "BIND ok peer" : l).ToArray());
        await server.WaitForLineAsync(l => l.Contains("command=bind", StringComparison.Ordinal) && l.Contains(" end ", StringComparison.Ordinal), "the BIND end line");
    }

    [Fact]
    public async Task The_packed_windsock_tool_restores_from_a_folder_feed_into_a_fresh_tool_manifest_and_runs()
    {
        using var dir = new TempDirectory();
        string feed = Directory.CreateDirectory(Path.Combine(dir.Path, "feed")).FullName;
        string app = Directory.CreateDirectory(Path.Combine(dir.Path, "app")).FullName;

        var pack = await ProcessRunner.RunAsync(Tools.Dotnet,
            ["pack", Path.Combine(Tools.SourceRoot, "src", "Windsock.Cli"), "-c", "Release", "-o", feed, "--nologo"], timeout: Step);
        Assert.True(pack.ExitCode == 0, pack.Describe());
        string nupkg = Assert.Single(Directory.GetFiles(feed, "windsock.*.nupkg"), f => !f.EndsWith(".symbols.nupkg", StringComparison.Ordinal));
        string version = Path.GetFileNameWithoutExtension(nupkg)["windsock.".Length..];
        using (var package = ZipFile.OpenRead(nupkg))
        {
            string[] entries = [.. package.Entries.Select(e => e.FullName)];
            Assert.Contains("LICENSE", entries);
            Assert.Contains("tools/net10.0/any/windsock.dll", entries);
            Assert.Contains("tools/net10.0/any/DotnetToolSettings.xml", entries);
            using var nuspecStream = package.GetEntry("windsock.nuspec")!.Open();
            var root = XDocument.Load(nuspecStream).Root!;
            XNamespace ns = root.Name.Namespace;
            var metadata = root.Element(ns + "metadata")!;
            Assert.Equal("Apache-2.0", metadata.Element(ns + "license")?.Value);
            Assert.Equal("DotnetTool", metadata.Element(ns + "packageTypes")?.Element(ns + "packageType")?.Attribute("name")?.Value);
        }

        // Only the feed: a tool package carries everything it runs with.
        await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="feed" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        // Private packages folder and CLI home: `dotnet tool run` resolves through ~/.dotnet/toolResolverCache,
        // which outlives a test's packages folder and would point the same version at a deleted copy.
        var environment = new Dictionary<string, string>
        {
            ["NUGET_PACKAGES"] = Path.Combine(dir.Path, "packages"),
            ["DOTNET_CLI_HOME"] = Directory.CreateDirectory(Path.Combine(dir.Path, "home")).FullName,
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
        };
        var manifest = await ProcessRunner.RunAsync(Tools.Dotnet, ["new", "tool-manifest", "--output", app], timeout: Step, environment: environment);
        Assert.True(manifest.ExitCode == 0, manifest.Describe());
        var install = await RunIn(app, ["tool", "install", "windsock", "--version", version], environment);
        Assert.True(install.ExitCode == 0, install.Describe());
        Assert.Contains("\"windsock\"", await File.ReadAllTextAsync(Path.Combine(app, "dotnet-tools.json")), StringComparison.Ordinal);

        var run = await RunIn(app, ["tool", "run", "windsock", "--version"], environment);
        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.StartsWith(version, run.StdoutText.Trim(), StringComparison.Ordinal);

        // And the tool does its job: check on the embedded default's twin.
        string config = Path.Combine(app, "windsock.toml");
        File.Copy(Path.Combine(Tools.SourceRoot, "packaging", "windsock.toml"), config);
        var check = await RunIn(app, ["tool", "run", "windsock", "check", "--config", config], environment);
        Assert.True(check.ExitCode == 0 && check.StdoutText.Contains("configuration OK", StringComparison.Ordinal), check.Describe());
    }

    /// <summary>`dotnet ARGS` with <paramref name="folder"/> as the working folder (where the tool manifest and nuget.config are).</summary>
    private static async Task<ProcessResult> RunIn(string folder, string[] args, Dictionary<string, string> environment) =>
        await ProcessRunner.RunAsync("/bin/sh", ["-c", "cd \"$0\" && exec \"$@\"", folder, Tools.Dotnet, .. args], timeout: Step, environment: environment);

    /// <summary>What a package page shows and what `dotnet add package` pulls in.</summary>
    private static void AssertPackageMetadata(string nupkg, string snupkg)
    {
        using var package = ZipFile.OpenRead(nupkg);
        string[] entries = [.. package.Entries.Select(e => e.FullName)];
        Assert.Contains("README.md", entries);
        Assert.Contains("LICENSE", entries);
        Assert.Contains("lib/net10.0/Windsock.Client.dll", entries);
        Assert.Contains("lib/net10.0/Windsock.Client.xml", entries);
        // Bundled, not dependencies: the package installs alone.
        Assert.Contains("lib/net10.0/Windsock.Protocol.dll", entries);
        Assert.Contains("lib/net10.0/Windsock.Policy.dll", entries);

        XNamespace ns = "http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd";
        using var nuspecStream = package.GetEntry("Windsock.Client.nuspec")!.Open();
        var metadata = XDocument.Load(nuspecStream).Root!.Element(ns + "metadata")!;
        Assert.Equal("Apache-2.0", metadata.Element(ns + "license")?.Value);
        Assert.Equal("expression", metadata.Element(ns + "license")?.Attribute("type")?.Value);
        Assert.Equal("README.md", metadata.Element(ns + "readme")?.Value);
        var repository = metadata.Element(ns + "repository");
        Assert.Equal("git", repository?.Attribute("type")?.Value);
        Assert.Matches("^[0-9a-f]{40}$", repository?.Attribute("commit")?.Value ?? "");
        string[] dependencies = [.. metadata.Descendants(ns + "dependency").Select(d => d.Attribute("id")!.Value)];
        Assert.DoesNotContain(dependencies, d => d.StartsWith("Windsock.", StringComparison.Ordinal));

        using var symbols = ZipFile.OpenRead(snupkg);
        string[] pdbs = [.. symbols.Entries.Select(e => e.FullName).Where(n => n.EndsWith(".pdb", StringComparison.Ordinal))];
        Assert.Equal(["lib/net10.0/Windsock.Client.pdb", "lib/net10.0/Windsock.Policy.pdb", "lib/net10.0/Windsock.Protocol.pdb"], pdbs.Order(StringComparer.Ordinal).ToArray());
    }

    /// <summary>The NuGet cache this machine's restores fill (NUGET_PACKAGES or ~/.nuget/packages), as NuGet itself reports it.</summary>
    private static async Task<string> GlobalPackagesFolderAsync()
    {
        var locals = await ProcessRunner.RunAsync(Tools.Dotnet, ["nuget", "locals", "global-packages", "--list"], timeout: Step);
        Assert.True(locals.ExitCode == 0, locals.Describe());
        string line = locals.StdoutText.Split('\n').Single(l => l.StartsWith("global-packages:", StringComparison.Ordinal));
        return line["global-packages:".Length..].Trim();
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
