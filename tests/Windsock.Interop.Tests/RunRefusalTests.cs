using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// Programs `windsock run` cannot cover yet are refused with the reason, never run unproxied: the
/// dynamic loader would silently skip the preload for a static or setuid program. The proxy URL
/// names a port that is never contacted, since the program never starts.
/// </summary>
public sealed class RunRefusalTests
{
    private const string UnusedProxy = "socks5h://127.0.0.1:9";

    [Fact]
    public async Task A_statically_linked_program_is_refused_with_exit_126()
    {
        using var dir = new TempDirectory();
        string source = Path.Combine(dir.Path, "hello.c");
        string program = Path.Combine(dir.Path, "hello-static");
        await File.WriteAllTextAsync(source, "#include <stdio.h>\nint main(void) { puts(\"ran\"); return 0; }\n", TestContext.Current.CancellationToken);
        ProcessResult gcc = await ProcessRunner.RunAsync("gcc", ["-static", "-o", program, source]);
        Assert.True(gcc.ExitCode == 0, $"gcc -static (libc6-dev) is needed\n{gcc.Describe()}");

        ProcessResult run = await RunAsync(program);

        Assert.Equal(126, run.ExitCode);
        Assert.Empty(run.Stdout);
        Assert.Equal($"windsock run: {program} is statically linked: there is no dynamic loader to preload a library, and the syscall engine that would cover it is not built yet; refused rather than run unproxied", run.Stderr.Trim());
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

    [Fact]
    public async Task The_syscall_engine_says_it_is_not_built_yet()
    {
        ProcessResult run = await ProcessRunner.RunAsync(Tools.Dotnet, [Tools.WindsockDll, "run", "--engine", "syscall", "--proxy", UnusedProxy, "--", "/bin/true"]);

        Assert.Equal(126, run.ExitCode);
        Assert.True(run.StderrMentions("the syscall engine (seccomp user notification) is not built yet"), run.Describe());
    }

    private static Task<ProcessResult> RunAsync(string program) =>
        ProcessRunner.RunAsync(Tools.Dotnet, [Tools.WindsockDll, "run", "--proxy", UnusedProxy, "--", program]);
}
