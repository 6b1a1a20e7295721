using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

[Trait("Needs", "windsock-serve")]
public sealed class LifecycleTests(LoopbackTargets targets)
{
    [Fact]
    public async Task Sigterm_stops_the_server_gracefully()
    {
        await using var server = await WindsockProcess.StartAsync("--listen", "127.0.0.1:0", "--listen", "[::1]:0");
        Assert.Equal(2, server.Endpoints.Count);
        // Serve one request first so the stop is not of an idle, never-used process.
        Expect.Body(await Clients.CurlAsync(targets.Http.Url("127.0.0.1"), "--socks5", Clients.HostPort(server.IPv4)), targets.Http, server);

        server.Terminate();
        var exitCode = await server.WaitForExitAsync(Timeouts.Stop);
        Assert.True(exitCode == 0, $"SIGTERM should end windsock with 0, got {exitCode}\n{server.Transcript()}");
    }
}

[Trait("Needs", "windsock-passwd")]
public sealed class PasswdTests
{
    [Fact]
    public async Task User_file_holds_a_hash_not_the_password()
    {
        using var dir = new TempDirectory();
        var users = Path.Combine(dir.Path, "users");
        await Passwd.AddUserAsync(users, AuthServerFixture.User, AuthServerFixture.Password);

        var text = await File.ReadAllTextAsync(users, TestContext.Current.CancellationToken);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith(AuthServerFixture.User + ":", lines[0], StringComparison.Ordinal);
        Assert.True(lines[0].Length > AuthServerFixture.User.Length + 1, "the hash part is empty");
        Assert.DoesNotContain(AuthServerFixture.Password, text, StringComparison.Ordinal);
    }
}
