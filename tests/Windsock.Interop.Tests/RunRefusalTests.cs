using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// Programs an engine cannot cover are refused with the reason, never run unproxied: the dynamic
/// loader would silently skip the preload for a static or setuid program. The proxy URL names a port
/// that is never contacted (the programs here make no connection).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RunRefusalTests
{
    private const string UnusedProxy = "socks5h://127.0.0.1:9";

    [Fact]
    public async Task A_statically_linked_program_is_refused_by_the_preload_and_runs_under_auto_with_the_syscall_engine()
    {
        using var dir = new TempDirectory();
        string program = await BuildStaticAsync(dir);

        ProcessResult preload = await ProcessRunner.RunAsync(Tools.Dotnet, [Tools.WindsockDll, "run", "--engine", "preload", "--proxy", UnusedProxy, "--", program]);
        Assert.Equal(126, preload.ExitCode);
        Assert.Empty(preload.Stdout);
        Assert.Equal($"windsock run: {program} is statically linked: there is no dynamic loader to preload a library; use --engine syscall (or auto); refused rather than run unproxied", preload.Stderr.Trim());

        ProcessResult auto = await ProcessRunner.RunAsync(Tools.Dotnet, [Tools.WindsockDll, "run", "--explain", "--proxy", UnusedProxy, "--", program]);
        Assert.True(auto.ExitCode == 3 && auto.StdoutText == "ran\n" && auto.StderrMentions("engine syscall ("), auto.Describe());
    }

    private static async Task<string> BuildStaticAsync(TempDirectory dir)
    {
        string source = Path.Combine(dir.Path, "hello.c");
        string program = Path.Combine(dir.Path, "hello-static");
        await File.WriteAllTextAsync(source, "#include <stdio.h>\nint main(void) { puts(\"ran\"); return 3; }\n", TestContext.Current.CancellationToken);
        ProcessResult gcc = await ProcessRunner.RunAsync("gcc", ["-static", "-o", program, source]);
        Assert.True(gcc.ExitCode == 0, $"gcc -static (libc6-dev) is needed\n{gcc.Describe()}");
        return program;
    }

    [Fact]
    public async Task A_setuid_program_is_refused_with_exit_126()
    {
        using var dir = new TempDirectory();
        string program = Path.Combine(dir.Path, "true-setuid");
        File.Copy("/bin/true", program);
        File.SetUnixFileMode(program, UnixFileMode.SetUser | UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);

        ProcessResult run = await RunAsync(program);

        Assert.Equal(126, run.ExitCode);
        Assert.Equal($"windsock run: {program} is setuid: the dynamic loader ignores LD_PRELOAD for it, so it would run unproxied; refused rather than run unproxied", run.Stderr.Trim());
    }

    [Fact]
    public async Task Without_any_route_windsock_run_refuses_to_run_everything_direct()
    {
        ProcessResult run = await ProcessRunner.RunAsync(Tools.Dotnet, [Tools.WindsockDll, "run", "--", "/bin/true"],
            environment: new Dictionary<string, string> { ["HOME"] = "/nonexistent", ["XDG_CONFIG_HOME"] = "/nonexistent" });

        Assert.Equal(2, run.ExitCode);
        Assert.True(run.StderrMentions("no routes: no --proxy, no routing file"), run.Describe());
    }

    private static Task<ProcessResult> RunAsync(string program) =>
        ProcessRunner.RunAsync(Tools.Dotnet, [Tools.WindsockDll, "run", "--proxy", UnusedProxy, "--", program]);
}
