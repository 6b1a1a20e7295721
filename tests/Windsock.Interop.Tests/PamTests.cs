using Windsock.Interop.Tests.Infrastructure;
using Xunit;

namespace Windsock.Interop.Tests;

/// <summary>
/// curl against `windsock serve` with <c>[auth] pam_service</c>: throwaway system accounts, checked
/// by the host's real PAM stack (pam_unix through Debian's "other" service).
/// </summary>
[Trait("Needs", "windsock-serve")]
[Trait("Needs", "root")]
public sealed class PamTests(LoopbackTargets targets, PamServerFixture fixture) : IClassFixture<PamServerFixture>
{
    private LoopbackHttpServer Http => targets.Http;

    [Fact]
    public async Task A_system_account_with_its_password_fetches_the_body()
    {
        WindsockProcess server = fixture.Server;
        await using var account = await SystemAccount.CreateAsync();

        Expect.Body(await Clients.CurlAsync(Http.Url("127.0.0.1"), "--socks5", Clients.HostPort(server.IPv4), "--proxy-user", account.ProxyUser), Http, server);

        await server.WaitForLineAsync(
            l => l.Contains(" request ", StringComparison.Ordinal) && l.Contains($"auth=username auth_by=pam user={account.Name} ", StringComparison.Ordinal),
            "the request line naming the PAM user");
    }

    [Fact]
    public async Task A_wrong_password_is_rejected_and_logged_for_that_user_without_the_password()
    {
        WindsockProcess server = fixture.Server;
        await using var account = await SystemAccount.CreateAsync();
        string wrong = account.Password + "-not";

        var result = await Clients.CurlAsync(Http.Url("127.0.0.1"), "--socks5", Clients.HostPort(server.IPv4), "--proxy-user", $"{account.Name}:{wrong}");

        Expect.Refused(result, server);
        Assert.Empty(result.Stdout);
        // curl 7.73+: CURLE_PROXY (97), "User was rejected by the SOCKS5 server".
        Assert.True(result.ExitCode == 97 && result.StderrMentions("rejected"), $"expected curl's SOCKS5 rejection\n{result.Describe()}\n{server.Transcript()}");
        await server.WaitForLineAsync(
            l => l.Contains(" end ", StringComparison.Ordinal) && l.Contains($"user={account.Name} ", StringComparison.Ordinal)
                && l.Contains("auth_by=pam", StringComparison.Ordinal) && l.Contains("reason=\"authentication failed\"", StringComparison.Ordinal),
            "the end line of the failed login");
        await server.WaitForErrorLineAsync(
            l => l.Contains($"Authentication failed for user '{account.Name}'", StringComparison.Ordinal) && l.Contains("pam: pam_authenticate: ", StringComparison.Ordinal),
            "the diagnostic naming the user and pam_authenticate");
        Assert.DoesNotContain(wrong, server.Transcript(), StringComparison.Ordinal);
        Assert.DoesNotContain(account.Password, server.Transcript(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_locked_account_is_refused_with_its_right_password()
    {
        WindsockProcess server = fixture.Server;
        await using var account = await SystemAccount.CreateAsync();
        await account.LockAsync();

        Expect.Refused(await Clients.CurlAsync(Http.Url("127.0.0.1"), "--socks5", Clients.HostPort(server.IPv4), "--proxy-user", account.ProxyUser), server);

        await server.WaitForErrorLineAsync(
            l => l.Contains($"Authentication failed for user '{account.Name}'", StringComparison.Ordinal) && l.Contains("pam: ", StringComparison.Ordinal),
            "the diagnostic for the locked account");
    }

    [Fact]
    public async Task An_expired_account_is_refused_by_pam_acct_mgmt_although_its_password_is_right()
    {
        WindsockProcess server = fixture.Server;
        await using var account = await SystemAccount.CreateAsync();
        await account.ExpireAsync();

        Expect.Refused(await Clients.CurlAsync(Http.Url("127.0.0.1"), "--socks5", Clients.HostPort(server.IPv4), "--proxy-user", account.ProxyUser), server);

        // The password was right: the account check, not the password check, said no.
        await server.WaitForErrorLineAsync(
            l => l.Contains($"Authentication failed for user '{account.Name}'", StringComparison.Ordinal) && l.Contains("pam: pam_acct_mgmt: ", StringComparison.Ordinal),
            "the diagnostic naming pam_acct_mgmt");
    }

    [Fact]
    public async Task Socks4_is_refused_because_pam_requires_a_password()
    {
        WindsockProcess server = fixture.Server;

        Expect.Refused(await Clients.CurlAsync(Http.Url("127.0.0.1"), "--socks4", Clients.HostPort(server.IPv4)), server);
    }
}

/// <summary>users_file and pam_service together: the file decides the users it lists, PAM everyone else.</summary>
[Trait("Needs", "windsock-serve")]
[Trait("Needs", "windsock-passwd")]
[Trait("Needs", "root")]
public sealed class PamAndUsersFileTests(LoopbackTargets targets, PamAndUsersFileServerFixture fixture) : IClassFixture<PamAndUsersFileServerFixture>
{
    private LoopbackHttpServer Http => targets.Http;

    [Fact]
    public async Task A_user_in_the_file_is_decided_by_the_file_alone()
    {
        WindsockProcess server = fixture.Server;
        SystemAccount shadowed = fixture.Shadowed;
        string proxy = Clients.HostPort(server.IPv4);

        Expect.Body(await Clients.CurlAsync(Http.Url("127.0.0.1"), "--socks5", proxy, "--proxy-user", $"{shadowed.Name}:{PamAndUsersFileServerFixture.FilePassword}"), Http, server);
        await server.WaitForLineAsync(
            l => l.Contains(" request ", StringComparison.Ordinal) && l.Contains($"auth_by=file user={shadowed.Name} ", StringComparison.Ordinal),
            "the request line of the file user");

        // The same name's system password is not asked of PAM.
        Expect.Refused(await Clients.CurlAsync(Http.Url("127.0.0.1"), "--socks5", proxy, "--proxy-user", shadowed.ProxyUser), server);
        await server.WaitForErrorLineAsync(
            l => l.Contains($"Authentication failed for user '{shadowed.Name}'", StringComparison.Ordinal) && l.Contains("file: wrong password", StringComparison.Ordinal),
            "the file's refusal of the system password");
    }

    [Fact]
    public async Task A_system_account_not_in_the_file_is_decided_by_pam()
    {
        WindsockProcess server = fixture.Server;
        await using var account = await SystemAccount.CreateAsync();

        Expect.Body(await Clients.CurlAsync(Http.Url("127.0.0.1"), "--socks5", Clients.HostPort(server.IPv4), "--proxy-user", account.ProxyUser), Http, server);

        await server.WaitForLineAsync(
            l => l.Contains(" request ", StringComparison.Ordinal) && l.Contains($"auth_by=pam user={account.Name} ", StringComparison.Ordinal),
            "the request line of the PAM user");
    }
}

/// <summary>pam_service comes and goes with a live reload, like every other setting.</summary>
[Trait("Needs", "windsock-serve")]
[Trait("Needs", "windsock-passwd")]
[Trait("Needs", "root")]
public sealed class PamReloadTests(LoopbackTargets targets)
{
    [Fact]
    public async Task Adding_and_removing_pam_service_takes_effect_without_a_restart()
    {
        SystemAccount.SkipUnlessPossible();
        using var dir = new TempDirectory();
        await Passwd.AddUserAsync(Path.Combine(dir.Path, "users"), "alice", "alice-pass");
        string config = Path.Combine(dir.Path, "windsock.toml");
        const string FileOnly = "[server]\nlisten = [\"127.0.0.1:0\"]\n\n[auth]\nusers_file = \"users\"\n";
        await File.WriteAllTextAsync(config, FileOnly, TestContext.Current.CancellationToken);
        await using var account = await SystemAccount.CreateAsync();
        await using var server = await WindsockProcess.StartAsync("--config", config);
        string proxy = Clients.HostPort(server.IPv4);

        Expect.Refused(await Clients.CurlAsync(targets.Http.Url("127.0.0.1"), "--socks5", proxy, "--proxy-user", account.ProxyUser), server);

        await File.WriteAllTextAsync(config, FileOnly + $"pam_service = \"{SystemAccount.ServiceWithoutFile}\"\n", TestContext.Current.CancellationToken);
        await server.WaitForLineAsync(l => l.Contains("configuration reloaded (a file changed)", StringComparison.Ordinal), "the reload that adds pam_service");
        Expect.Body(await Clients.CurlAsync(targets.Http.Url("127.0.0.1"), "--socks5", proxy, "--proxy-user", account.ProxyUser), targets.Http, server);

        static int Reloads(IReadOnlyList<string> lines) => lines.Count(l => l.Contains("configuration reloaded", StringComparison.Ordinal));
        int reloadsBefore = Reloads(server.StdoutLines);
        await File.WriteAllTextAsync(config, FileOnly, TestContext.Current.CancellationToken);
        server.Hangup();
        await server.WaitUntilAsync(lines => Reloads(lines) > reloadsBefore, Timeouts.LogLine, "the reload that removes pam_service");
        Expect.Refused(await Clients.CurlAsync(targets.Http.Url("127.0.0.1"), "--socks5", proxy, "--proxy-user", account.ProxyUser), server);
    }
}
